import Foundation
import IntegrationSupport
import Postgres
import Testing

/// The private instance's Unix socket, which `scripts/run.sh` connects the services through: a
/// role gets in with its password and not without one.
@Suite("Postgres private socket")
struct PostgresSocketTests {
    /// The inspector role's URL (it has a generated password) pointed at the private socket.
    private func socketURL(withPassword: Bool) throws -> String {
        var components = try #require(URLComponents(string: try TestServers.inspectorDatabaseURL()))
        if !withPassword { components.password = nil }
        components.queryItems = [URLQueryItem(name: "host", value: try TestServers.postgresSocketDirectory())]
        return try #require(components.string)
    }

    @Test("a role with its password connects over the socket (no server address: not TCP)")
    func passwordOverSocket() async throws {
        let connection = try await PostgresConnection.connect(url: try socketURL(withPassword: true))
        let rows = try await connection.query("SELECT current_user::text AS role, inet_server_addr() IS NULL AS on_socket", [])
        #expect(try rows[0].decode(String.self, column: "role") == "saga_inspect")
        #expect(try rows[0].decode(Bool.self, column: "on_socket"))
        await connection.close()
    }

    @Test("a role without its password is refused on the socket")
    func noPasswordOverSocket() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(url: try socketURL(withPassword: false))
        }
        #expect(error?.description.contains("password") == true)
    }
}
