import Foundation
import IntegrationSupport
import Postgres
import Testing

/// Connection failures: refused connections, bad URLs, killed backends and `reset()`.
@Suite("Postgres connection failures")
struct PostgresConnectionFailureTests {
    @Test("connecting to a closed port fails with .connectionFailed and a readable description without the password")
    func closedPort() async throws {
        let url = "postgresql://fabrikam_user:s3cret-Pa55@127.0.0.1:1/fabrikam"
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(url: url)
        }
        let failure = try #require(error)
        #expect(failure.code == .connectionFailed)
        #expect(failure.isConnectionError)
        #expect(failure.description.contains("127.0.0.1"))
        #expect(failure.description.lowercased().contains("refused"))
        #expect(failure.description.contains("fabrikam_user@127.0.0.1:1/fabrikam"))
        #expect(!failure.description.contains("s3cret"))
        #expect(!failure.debugDescription.contains("s3cret"))
        #expect(!PostgresConfiguration(url: url).description.contains("s3cret"))
    }

    @Test("a malformed URL fails with .invalidURL without the password, even when libpq quotes it", arguments: [
        "postgresql://user:hunter2@localhost/db?no_such_option=1",
        "postgresql://user:hunter2%ZZ@localhost/db",
    ])
    func malformedURL(_ url: String) async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(url: url)
        }
        let failure = try #require(error)
        #expect(failure.code == .invalidURL)
        #expect(failure.description.contains("invalid"))
        #expect(!failure.description.contains("hunter2"))
        #expect(!failure.debugDescription.contains("hunter2"))
    }

    @Test("an invalid port is a .connectionFailed naming the option")
    func invalidPort() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(url: "postgresql://user:hunter2@127.0.0.1:notaport/db")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("port") == true)
        #expect(error.map { !$0.debugDescription.contains("hunter2") } == true)
    }

    @Test("a terminated backend reports .connectionLost, and reset() recovers the connection")
    func terminatedBackend() async throws {
        let victim = try await PostgresTestDatabase.connect()
        let killer = try await PostgresTestDatabase.connect()
        let sql = "SELECT $1::int8 + 1 AS next"
        #expect(try await victim.query(sql, [.int(1)])[0].decode(Int.self, column: "next") == 2)
        let pid = await victim.backendPID

        let terminated = try await killer.query("SELECT pg_terminate_backend($1)", [.int32(pid)])
        #expect(try terminated[0].decode(Bool.self, at: 0))
        #expect(try await PostgresTestDatabase.eventually {
            try await killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [.int32(pid)])[0].decode(Int.self, at: 0) == 0
        })

        let error = await #expect(throws: PostgresError.self) { try await victim.query(sql, [.int(2)]) }
        let failure = try #require(error)
        #expect(failure.code == .connectionLost)
        #expect(failure.isConnectionError)
        #expect(await victim.isConnected == false)
        let again = await #expect(throws: PostgresError.self) { try await victim.query(sql, [.int(3)]) }
        #expect(again?.code == .connectionLost)

        try await victim.reset()
        #expect(await victim.isConnected)
        #expect(await victim.backendPID != pid)
        #expect(try await victim.query(sql, [.int(41)])[0].decode(Int.self, column: "next") == 42)
    }

    @Test("isConnected notices a terminated backend without running a statement")
    func isConnectedProbes() async throws {
        let victim = try await PostgresTestDatabase.connect()
        let killer = try await PostgresTestDatabase.connect()
        #expect(await victim.isConnected)
        try await killer.query("SELECT pg_terminate_backend($1)", [.int32(await victim.backendPID)])
        #expect(await PostgresTestDatabase.eventually { await victim.isConnected == false })
    }

    @Test("a closed connection refuses work with .connectionClosed")
    func closedConnection() async throws {
        let connection = try await PostgresTestDatabase.connect()
        await connection.close()
        let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(error?.code == .connectionClosed)
        #expect(await connection.isConnected == false)
    }

    @Test("the application name reaches the server")
    func applicationName() async throws {
        let connection = try await PostgresConnection.connect(url: TestServers.databaseURL(), applicationName: "fabrikam-test-app")
        let rows = try await connection.query("SELECT current_setting('application_name') AS app, current_setting('TimeZone') AS tz")
        #expect(try rows[0].decode(String.self, column: "app") == "fabrikam-test-app")
        #expect(try rows[0].decode(String.self, column: "tz") == "UTC")
    }
}
