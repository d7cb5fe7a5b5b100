import Foundation
import Postgres
import SagaLoadMeasures

/// Measures what a system used over a window: the CPU of every service process, of the broker
/// and of the database server (from `/proc`), and the database's transactions and statements.
struct ResourceMeter: Sendable {
    /// The readings taken when the window opened.
    struct Start: Sendable {
        var cpu: CPUSnapshot
        var counters: DatabaseCounters
        var clock: ContinuousClock.Instant
    }

    /// What the window used.
    struct Usage: Sendable {
        /// CPU per group (services, `rabbitmq`, `postgres`).
        var cpu: [String: CPUGroupUsage]
        /// Groups with no process at the start.
        var missing: [String]
        /// Transactions and statements in the window, less the measuring side's own queries.
        var counters: DatabaseCounters
        /// The window's length.
        var seconds: Double
    }

    let sampler: ProcessSampler
    let database: PostgresConnection
    let statementsAvailable: Bool
    /// A load generator's statements left out of the counters.
    var exclusions = DatabaseCounterReader.Exclusions()

    /// A meter for the services run as `<program> <service>`, the broker at `amqpURL` and the
    /// database server at `databaseURL` (whose database's counters it reads through `database`).
    static func prepare(
        program: String, services: [String], amqpURL: String, databaseURL: String, database: PostgresConnection
    ) async throws -> ResourceMeter {
        let sampler = ProcessSampler(
            program: program, services: services,
            serverPorts: [("rabbitmq", Self.port(of: amqpURL, default: 5672)), ("postgres", Self.port(of: databaseURL, default: 5432))])
        return ResourceMeter(sampler: sampler, database: database, statementsAvailable: try await DatabaseCounterReader.statementsAvailable(database))
    }

    /// Opens the window: CPU and counters now (one statement and one transaction of the window are the reading's own).
    func start() async throws -> Start {
        let cpu = await sampler.snapshot()
        let counters = try await DatabaseCounterReader.read(database, statements: statementsAvailable, excluding: exclusions)
        return Start(cpu: cpu, counters: counters, clock: .now)
    }

    /// Closes the window: CPU now; the counters after `settle` (backends publish their
    /// transaction counts up to a second late); `own` are the measuring side's own queries in the window.
    func finish(_ start: Start, settle: Duration, own: DatabaseCounters) async throws -> Usage {
        let cpu = await sampler.snapshot()
        let seconds = (ContinuousClock.now - start.clock).seconds
        try await Task.sleep(for: settle)
        let counters = try await DatabaseCounterReader.read(database, statements: statementsAvailable, excluding: exclusions)
        // The start reading was one statement and one transaction of the window.
        let ownWithReading = DatabaseCounters(transactions: own.transactions + 1, statements: (own.statements ?? 0) + 1)
        return Usage(
            cpu: CPUUsage.usage(from: start.cpu, to: cpu, ticksPerSecond: ProcessSampler.ticksPerSecond),
            missing: sampler.missingGroups(in: start.cpu),
            counters: DatabaseCounters.delta(from: start.counters, to: counters, less: ownWithReading), seconds: seconds)
    }

    /// The TCP port of a URL (`amqp://…:5680/…`, `postgresql://…:5440/…`).
    static func port(of url: String, default fallback: Int) -> Int {
        URLComponents(string: url)?.port ?? fallback
    }
}
