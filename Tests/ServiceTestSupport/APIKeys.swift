package import APIAccess
package import Foundation

extension ServiceHarness {
    /// Issues an API key for `role` in the test database's `access` schema (creating it if need
    /// be), as `saga-admin api-keys issue` would.
    package func issueAPIKey(_ role: APIPrincipal.Role) async throws -> IssuedAPIKey {
        try await APIKeyStore.issueKey(role, label: "test \(name)", url: databaseURL)
    }

    /// Revokes the key with `id`, as `saga-admin api-keys revoke` would.
    package func revokeAPIKey(_ id: UUID) async throws {
        _ = try await APIKeyStore.administering(url: databaseURL) { db in try APIKeyStore.revoke(id, on: db) }
    }
}

/// The `Authorization` header that sends `key`.
package func bearer(_ key: String) -> (String, String) { ("Authorization", "Bearer \(key)") }
