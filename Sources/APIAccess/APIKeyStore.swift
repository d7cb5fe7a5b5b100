package import Foundation
package import Postgres

/// One stored API key as `saga-admin api-keys list` shows it (never the key itself).
package struct APIKeyRecord: Sendable, Equatable {
    /// The key's id (what `revoke` takes).
    package var id: UUID
    /// Customer or operator, and whose.
    package var role: APIPrincipal.Role
    /// A free-text note on what the key is for.
    package var label: String
    /// When it was issued.
    package var createdAt: Date
    /// When it was revoked, if it was.
    package var revokedAt: Date?
}

/// A newly issued key: the only time its text exists outside the client.
package struct IssuedAPIKey: Sendable {
    /// The key's id.
    package var id: UUID
    /// The key to hand to the client (`Authorization: Bearer <key>`).
    package var key: String
}

/// Issues, lists, revokes and looks up API keys in `access.api_keys` (see ``APIAccessSchema``).
/// Only the hash of a key is stored; a lookup is one query on the unique hash index.
package enum APIKeyStore {
    /// Issues a new key for `role`; the returned text is not stored and cannot be shown again.
    package static func issue(_ role: APIPrincipal.Role, label: String = "", on db: isolated PostgresConnection) throws -> IssuedAPIKey {
        let id = UUID()
        let key = APIKeySecret.generate()
        let (kind, owner) = columns(role)
        _ = try db.execute(
            "INSERT INTO \(APIAccessSchema.keysTable) (id, key_hash, kind, owner_id, label) VALUES ($1, $2, $3, $4, $5)",
            [.uuid(id), .text(APIKeySecret.hash(key)), .text(kind), .text(owner), .text(label)])
        return IssuedAPIKey(id: id, key: key)
    }

    /// Every key, oldest first.
    package static func list(on db: isolated PostgresConnection) throws -> [APIKeyRecord] {
        try db.query("SELECT id, kind, owner_id, label, created_at, revoked_at FROM \(APIAccessSchema.keysTable) ORDER BY created_at, id", [])
            .map { row in
                APIKeyRecord(
                    id: try row.decode(UUID.self, column: "id"),
                    role: try role(kind: try row.decode(String.self, column: "kind"), ownerId: try row.decode(String?.self, column: "owner_id")),
                    label: try row.decode(String.self, column: "label"), createdAt: try row.decode(Date.self, column: "created_at"),
                    revokedAt: try row.decode(Date?.self, column: "revoked_at"))
            }
    }

    /// Revokes a key (requests with it are refused from the next one on, see ``APIKeyVerifier``);
    /// false when there is no such key. Revoking twice keeps the first time.
    package static func revoke(_ id: UUID, on db: isolated PostgresConnection) throws -> Bool {
        try db.execute(
            "UPDATE \(APIAccessSchema.keysTable) SET revoked_at = coalesce(revoked_at, clock_timestamp()) WHERE id = $1", [.uuid(id)]) > 0
    }

    /// The principal of the live (unrevoked) key whose hash is `hash`, or nil.
    package static func principal(forHash hash: String, on db: isolated PostgresConnection) throws -> APIPrincipal? {
        guard let row = try db.query(
            "SELECT id, kind, owner_id FROM \(APIAccessSchema.keysTable) WHERE key_hash = $1 AND revoked_at IS NULL", [.text(hash)]
        ).first else { return nil }
        return APIPrincipal(
            keyId: try row.decode(UUID.self, column: "id"),
            role: try role(kind: try row.decode(String.self, column: "kind"), ownerId: try row.decode(String?.self, column: "owner_id")))
    }

    /// The principal of `key` if it is live.
    package static func principal(forKey key: String, on db: isolated PostgresConnection) throws -> APIPrincipal? {
        try principal(forHash: APIKeySecret.hash(key), on: db)
    }

    /// The `kind` and `owner_id` columns of a role.
    static func columns(_ role: APIPrincipal.Role) -> (kind: String, ownerId: String?) {
        switch role {
        case .customer(let ownerId): ("customer", ownerId)
        case .operator: ("operator", nil)
        }
    }

    /// The role stored as `kind` and `ownerId`.
    static func role(kind: String, ownerId: String?) throws -> APIPrincipal.Role {
        switch (kind, ownerId) {
        case ("operator", _): return .operator
        case ("customer", let owner?): return .customer(ownerId: owner)
        default: throw PostgresError(.decoding, message: "api key of kind '\(kind)' without an owner")
        }
    }
}

extension APIKeyStore {
    /// Connects to `url` (an administrator's, or a role that may create the `access` schema and
    /// write its table), makes sure the schema exists, runs `body` in one transaction and closes
    /// the connection: how `saga-admin api-keys`, the harnesses and the tests reach the store.
    package static func administering<Value: Sendable>(
        url: String, applicationName: String = "api-keys", _ body: @escaping @Sendable (isolated PostgresConnection) throws -> Value
    ) async throws -> Value {
        let connection = try await PostgresConnection.connect(url: url, applicationName: applicationName)
        do {
            let value = try await connection.transaction { db in
                try APIAccessSchema.prepare(on: db)
                return try body(db)
            }
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Issues a key for `role` through ``administering(url:applicationName:_:)``.
    package static func issueKey(_ role: APIPrincipal.Role, label: String = "", url: String) async throws -> IssuedAPIKey {
        try await administering(url: url) { db in try issue(role, label: label, on: db) }
    }
}
