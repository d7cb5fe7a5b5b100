import Foundation
import IntegrationSupport
import Logging
import Postgres

/// Connections and unique names for tests against the private PostgreSQL that scripts/test.sh starts.
enum PostgresTestDatabase {
    /// Connects to `DATABASE_URL`; throws (so the test fails) when it is not set.
    static func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(url: TestServers.databaseURL(), applicationName: "PostgresTests")
    }

    /// A table or channel name no other test uses, e.g. `pgtest_rows_1a2b3c4d`.
    static func uniqueName(_ prefix: String) -> String {
        "pgtest_\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Waits until `condition` holds or `timeout` passes; returns whether it held.
    static func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
