import Choreography
import Foundation
import IntegrationSupport
import Postgres
import Testing

@testable import APIAccess

/// The key store against the real PostgreSQL: only hashes are stored, revocation is immediate in
/// the store, and a service role granted by the admin set-up can read keys but not write them.
@Suite("API key store")
struct APIKeyStoreTests {
    let url: String

    init() throws {
        url = try TestServers.databaseURL()
    }

    @Test("issue, look up by hash, list and revoke; the key's text is never stored")
    func lifecycle() async throws {
        let owner = "acct-\(UUID().uuidString.prefix(8))"
        let issued = try await APIKeyStore.issueKey(.customer(ownerId: owner), label: "store test", url: url)
        let (principal, listed, stored) = try await APIKeyStore.administering(url: url) { db in
            (try APIKeyStore.principal(forKey: issued.key, on: db), try APIKeyStore.list(on: db).first { $0.id == issued.id },
             try db.query("SELECT count(*) FROM \(APIAccessSchema.keysTable) WHERE key_hash = $1 OR label = $1", [.text(issued.key)])[0]
                .decode(Int.self, at: 0))
        }
        #expect(principal == APIPrincipal(keyId: issued.id, role: .customer(ownerId: owner)))
        #expect(listed?.role == .customer(ownerId: owner) && listed?.label == "store test" && listed?.revokedAt == nil)
        #expect(stored == 0, "the key's text is stored somewhere")
        let (revoked, again, unknown, after) = try await APIKeyStore.administering(url: url) { db in
            (try APIKeyStore.revoke(issued.id, on: db), try APIKeyStore.revoke(issued.id, on: db), try APIKeyStore.revoke(UUID(), on: db),
             try APIKeyStore.principal(forKey: issued.key, on: db))
        }
        #expect(revoked && again && !unknown)
        #expect(after == nil)
    }

    @Test("the admin set-up lets a service's role read the keys (by the unique hash index) and nothing more")
    func serviceRoleReadsOnly() async throws {
        let role = try SQLIdentifier("t_access_\(UUID().uuidString.prefix(8).lowercased())")
        let admin = try await PostgresConnection.connect(url: url)
        _ = try await admin.simpleQuery("CREATE ROLE \(role) LOGIN PASSWORD '\(role)'")
        do {
            let issued = try await admin.transaction { db in
                try APIAccessSchema.prepare(on: db, reader: role)
                return try APIKeyStore.issue(.operator, label: "role test", on: db)
            }
            var components = try #require(URLComponents(string: url))
            components.user = role.name
            components.password = role.name
            let service = try await PostgresConnection.connect(url: try #require(components.string))
            let found = try await service.withIsolation { db in try APIKeyStore.principal(forKey: issued.key, on: db) }
            #expect(found?.role == .operator)
            let indexes = try await service.query(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'api_keys'", [.text(APIAccessSchema.schema)])
            #expect(try indexes.map { try $0.decode(String.self, at: 0) }.contains { $0.contains("UNIQUE") && $0.hasSuffix("(key_hash)") })
            await #expect(throws: PostgresError.self) {
                try await service.withIsolation { db in _ = try APIKeyStore.issue(.operator, on: db) }
            }
            await service.close()
        } catch {
            try? await Self.drop(role, on: admin)
            await admin.close()
            throw error
        }
        try await Self.drop(role, on: admin)
        await admin.close()
    }

    /// Drops a test role, under the schema's lock (its privileges on `access` go with it).
    static func drop(_ role: SQLIdentifier, on admin: PostgresConnection) async throws {
        try await admin.transaction { db in
            try APIAccessSchema.lock(on: db)
            try db.simpleQuery("DROP OWNED BY \(role); DROP ROLE \(role)")
        }
    }
}
