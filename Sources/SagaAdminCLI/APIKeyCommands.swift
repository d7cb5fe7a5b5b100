import APIAccess
import ArgumentParser
import Choreography
import Foundation
import Postgres

/// `saga-admin api-keys issue|list|revoke`: the keys the HTTP API authenticates requests with.
struct APIKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-keys",
        abstract: "Issue, list or revoke API keys (Authorization: Bearer <key>); only their SHA-256 hash is stored.",
        subcommands: [Issue.self, List.self, Revoke.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "Database URL that may create and write the access schema (default: $DATABASE_ADMIN_URL, else $DATABASE_URL).")
        var databaseURL: String?

        /// Runs `body` on the key store in one transaction (creating the schema if need be).
        func withStore<T: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
            let settings = ServiceSettings()
            let candidates = [databaseURL, settings.string("DATABASE_ADMIN_URL", isSecret: true), settings.string("DATABASE_URL", isSecret: true)]
            guard let url = candidates.compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
                throw ValidationError("give --database-url, or set DATABASE_ADMIN_URL or DATABASE_URL")
            }
            do {
                return try await APIKeyStore.administering(url: url, applicationName: "saga-admin api-keys", body)
            } catch let error as PostgresError where error.code == .connectionFailed || error.code == .invalidURL {
                throw ValidationError("cannot connect to the database: \(error)")
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a key for a customer (--owner) or an operator (--operator); it is printed once and cannot be shown again.")
        @OptionGroup var options: Options
        @Option(help: "The customer's owner id: the key may create, read and cancel only this owner's deliveries.") var owner: String?
        @Flag(help: "An operator's key: every delivery of every owner.") var `operator` = false
        @Option(help: "A note on what the key is for.") var label = ""

        func validate() throws {
            guard (owner != nil) != `operator` else { throw ValidationError("give either --owner <ownerId> or --operator") }
            if let owner, owner.range(of: #"^[A-Za-z0-9._-]{1,64}$"#, options: .regularExpression) == nil {
                throw ValidationError("'\(owner)' is not an owner id (1–64 of A-Z a-z 0-9 . _ -)")
            }
        }

        func run() async throws {
            let role: APIPrincipal.Role = owner.map { .customer(ownerId: $0) } ?? .operator
            let label = self.label
            let issued = try await options.withStore { db in try APIKeyStore.issue(role, label: label, on: db) }
            FileHandle.standardError.write(Data("issued key \(issued.id.uuidString.lowercased()) (\(APIKeys.describe(role))); it is shown only now:\n".utf8))
            print(issued.key)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys (ids, roles, labels, revocations; never the keys).")
        @OptionGroup var options: Options

        func run() async throws {
            let keys = try await options.withStore { db in try APIKeyStore.list(on: db) }
            let format = ISO8601DateFormatter()
            for key in keys {
                let state = key.revokedAt.map { "revoked \(format.string(from: $0))" } ?? "live"
                print("\(key.id.uuidString.lowercased())  \(APIKeys.describe(key.role))  created \(format.string(from: key.createdAt))  \(state)  \(key.label)")
            }
            print("\(keys.count) key(s)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: requests with it are refused (401) within \(APIKeyVerifier.defaultMaximumAge) of now.")
        @OptionGroup var options: Options
        @Argument(help: "The key's id (from list).") var id: String

        func run() async throws {
            guard let id = UUID(uuidString: id) else { throw ValidationError("'\(self.id)' is not a key id (a UUID)") }
            guard try await options.withStore({ db in try APIKeyStore.revoke(id, on: db) }) else {
                print("no key \(id.uuidString.lowercased())")
                throw ExitCode(2)
            }
            print("revoked \(id.uuidString.lowercased())")
        }
    }

    /// A role as the commands print it.
    static func describe(_ role: APIPrincipal.Role) -> String {
        switch role {
        case .customer(let ownerId): "customer \(ownerId)"
        case .operator: "operator"
        }
    }
}
