import AMQP
import Choreography
import Foundation
import IntegrationSupport
import Logging
import Postgres
import Testing

@Suite("Choreography configuration and retry policy")
struct ConfigurationTests {
    @Test("defaults: the local servers, as the service's own user and role, with no default password")
    func defaultsMatchTheLocalLauncher() throws {
        let configuration = try ChoreographyConfiguration.fromEnvironment(service: "package", schema: "package", environment: [:])
        #expect(configuration.amqpURL == "amqp://package@127.0.0.1:5680/%2f")
        #expect(configuration.databaseURL == "postgresql://package@127.0.0.1:5440/fabrikam")
        #expect(configuration.exchange == "fabrikam.events")
        #expect(configuration.prefetch == 64)
        #expect(configuration.workers == 4)
        #expect(configuration.httpPort == nil)
        #expect(configuration.faults.failureProbability == 0)
    }

    @Test func perServiceKeysWinOverPlainKeys() throws {
        let configuration = try ChoreographyConfiguration.fromEnvironment(service: "package", schema: "package", environment: [
            "PREFETCH": "10", "PACKAGE_PREFETCH": "99", "WORKERS": "3", "QUEUE_TYPE": "quorum",
            "RETRY_MAX_ATTEMPTS": "7", "HTTP_PORT": "8081", "FAULT_FAILURE_PROBABILITY": "0.25",
        ])
        #expect(configuration.prefetch == 99)
        #expect(configuration.workers == 3)
        #expect(configuration.queueKind == .quorum)
        #expect(configuration.retryPolicy.maximumAttempts == 7)
        #expect(configuration.httpPort == 8081)
        #expect(configuration.faults.failureProbability == 0.25)
    }

    @Test(arguments: [["PREFETCH": "0"], ["WORKERS": "many"], ["QUEUE_TYPE": "lazy"], ["FAULT_FAILURE_PROBABILITY": "2"]])
    func malformedValuesAreRefusedWithTheKey(_ environment: [String: String]) {
        let error = #expect(throws: SettingError.self) {
            try ChoreographyConfiguration.fromEnvironment(service: "x", schema: "x", environment: environment)
        }
        #expect(error?.key == environment.keys.first!)
        #expect(error?.message.contains("'\(environment.values.first!)'") == true)
    }

    @Test func retryDelaysGrowExponentiallyUpToTheCap() {
        let policy = RetryPolicy(maximumAttempts: 6, initialDelay: .seconds(1), multiplier: 4, maximumDelay: .seconds(60))
        #expect((1...5).map { policy.delay(afterAttempt: $0) } == [.seconds(1), .seconds(4), .seconds(16), .seconds(60), .seconds(60)])
        #expect(policy.allowsRetry(afterAttempt: 5))
        #expect(!policy.allowsRetry(afterAttempt: 6))
    }

    @Test func topologyNamesRetryQueuesByDelay() {
        let topology = ServiceTopology(exchange: "e", service: "package", bindings: ["a.b"], retryPolicy: RetryPolicy())
        #expect(topology.workQueue == "package.events")
        #expect(topology.parkedQueue == "package.parked")
        #expect(topology.retryQueue(afterAttempt: 1) == "package.retry.1000ms")
        #expect(topology.retryQueue(afterAttempt: 2) == "package.retry.4000ms")
    }

    @Test(arguments: ["Package", "1abc", "a-b", "x; DROP TABLE y", ""])
    func identifiersMustBePlain(_ name: String) {
        #expect(throws: ChoreographyError.self) { try SQLIdentifier(name) }
    }
}

@Suite("Choreography migrations and database roles")
struct MigrationTests {
    private func schemaName() -> String { "m_\(UUID().uuidString.prefix(8).lowercased())" }

    @Test("instances starting together apply each migration once, in order, under the lock")
    func concurrentMigrationsApplyOnce() async throws {
        let url = try TestServers.databaseURL()
        let schema = try SQLIdentifier(schemaName())
        let migrations = [
            Migration(version: 1, name: "first", sql: "CREATE TABLE things (id int PRIMARY KEY)"),
            Migration(version: 2, name: "second", sql: "ALTER TABLE things ADD COLUMN label text"),
        ]
        let migrator = SchemaMigrator(schema: schema, migrations: migrations)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let connection = try await PostgresConnection.connect(url: url)
                    let applied = try await migrator.migrate(on: connection, logger: Logger(label: "test"))
                    await connection.close()
                    return applied
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(applied.sorted() == [
            "runtime/1 inbox, outbox and deadlines", "runtime/2 deadline attempts and parking", "runtime/3 trace context",
            "service/1 first", "service/2 second",
        ])
        let connection = try await PostgresConnection.connect(url: url)
        let rows = try await connection.query(
            "SELECT component, version FROM \(schema).schema_migrations ORDER BY component, version")
        #expect(rows.count == 5)
        _ = try await connection.query("INSERT INTO \(schema).things (id, label) VALUES (1, 'x') RETURNING id")

        // A renamed migration is refused rather than silently skipped.
        let renamed = SchemaMigrator(schema: schema, migrations: [Migration(version: 1, name: "renamed", sql: "SELECT 1")])
        let error = await #expect(throws: ChoreographyError.self) { try await renamed.migrate(on: connection, logger: Logger(label: "test")) }
        #expect(error?.code == .migration)
        // A failing migration rolls back entirely and says which one.
        let broken = SchemaMigrator(schema: schema, migrations: migrations + [Migration(version: 3, name: "broken", sql: "ALTER TABLE nope ADD x int")])
        let failure = await #expect(throws: ChoreographyError.self) { try await broken.migrate(on: connection, logger: Logger(label: "test")) }
        #expect(failure?.message.contains("service/3") == true)
        #expect(try await connection.query("SELECT 1 FROM \(schema).schema_migrations WHERE component = 'service' AND version = 3").isEmpty)
        _ = try await connection.simpleQuery("DROP SCHEMA \(schema) CASCADE")
        await connection.close()
    }

    @Test("a service role can use its own schema and no other")
    func serviceRolesAreConfinedToTheirSchema() async throws {
        let adminURL = try TestServers.databaseURL()
        let admin = try await PostgresConnection.connect(url: adminURL)
        let first = try SQLIdentifier(schemaName())
        let second = try SQLIdentifier(schemaName())
        try await ServiceDatabaseRole.ensure(role: first, password: "pw-\(first)", schema: first, admin: admin)
        try await ServiceDatabaseRole.ensure(role: second, password: "pw-\(second)", schema: second, admin: admin)
        try await ServiceDatabaseRole.ensure(role: first, password: "pw-\(first)", schema: first, admin: admin)  // idempotent

        var components = try #require(URLComponents(string: adminURL))
        components.user = first.name
        components.password = "pw-\(first)"
        let asFirst = try await PostgresConnection.connect(url: try #require(components.string))
        _ = try await asFirst.simpleQuery("CREATE TABLE mine (id int); INSERT INTO mine VALUES (1)")
        #expect(try await asFirst.query("SELECT count(*) AS n FROM \(first).mine")[0].decode(Int.self, column: "n") == 1)

        components.user = second.name
        components.password = "pw-\(second)"
        let asSecond = try await PostgresConnection.connect(url: try #require(components.string))
        let denied = await #expect(throws: PostgresError.self) { try await asSecond.query("SELECT * FROM \(first).mine") }
        #expect(denied?.sqlState == "42501")
        let noCreate = await #expect(throws: PostgresError.self) { try await asSecond.simpleQuery("CREATE TABLE \(first).intruder (id int)") }
        #expect(noCreate?.sqlState == "42501")

        // The inspector role reads every service's tables, including ones created later, and writes none.
        var inspectorURL = try #require(URLComponents(string: try TestServers.inspectorDatabaseURL()))
        #expect(inspectorURL.user == ServiceDatabaseRole.inspector)
        inspectorURL.path = components.path
        let asInspector = try await PostgresConnection.connect(url: try #require(inspectorURL.string))
        #expect(try await asInspector.query("SELECT count(*) AS n FROM \(first).mine")[0].decode(Int.self, column: "n") == 1)
        let readOnly = await #expect(throws: PostgresError.self) { try await asInspector.simpleQuery("INSERT INTO \(first).mine VALUES (2)") }
        #expect(readOnly?.sqlState == "42501")
        await asInspector.close()

        await asFirst.close()
        await asSecond.close()
        _ = try await admin.simpleQuery("DROP SCHEMA \(first) CASCADE; DROP SCHEMA \(second) CASCADE; DROP ROLE \(first); DROP ROLE \(second)")
        await admin.close()
    }
}
