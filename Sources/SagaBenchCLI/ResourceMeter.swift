import Foundation
import Postgres
import SagaLoadMeasures

/// Measures what a system used over a window: the CPU of every service process, of the broker
/// and of the database server (from `/proc`), and the database's transactions and statements.
struct ResourceMeter: Sendable {
    /// The readings taken when the window opened.
    struct Start: Sendable {
        /// Every group's CPU ticks.
        var cpu: CPUSnapshot
        /// The database's transactions and statements.
        var counters: DatabaseCounters
        /// When the window opened.
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
        /// How long after the window the transaction counter was read.
        var settleSeconds: Double
        /// The idle system's transactions per second, left out of those seconds.
        var idleTransactionsPerSecond: Double
    }

    /// Reads the processes' CPU.
    let sampler: ProcessSampler
    /// A connection to the measured database.
    let database: PostgresConnection
    /// Whether the server preloads `pg_stat_statements`.
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

    /// The transactions per second of the system at rest, over `probe` (read twice, its own one left out).
    func idleTransactionRate(over probe: Duration) async throws -> Double {
        let before = try await DatabaseCounterReader.read(database, statements: statementsAvailable, excluding: exclusions).transactions
        try await Task.sleep(for: probe)
        let after = try await DatabaseCounterReader.read(database, statements: statementsAvailable, excluding: exclusions).transactions
        return max(0, Double(after - before - 1) / probe.seconds)
    }

    /// Opens the window: CPU and counters now (one statement and one transaction of the window are the reading's own).
    func start() async throws -> Start {
        let cpu = await sampler.snapshot()
        let counters = try await DatabaseCounterReader.read(database, statements: statementsAvailable, excluding: exclusions)
        return Start(cpu: cpu, counters: counters, clock: .now)
    }

    /// Closes the window: CPU and statements now (`pg_stat_statements` counts at once), the
    /// transactions after `settle`, since PostgreSQL publishes an idle backend's transaction
    /// counts up to 10 s late, less `idleTransactionsPerSecond` over those seconds; `own` are the
    /// measuring side's own queries in the window.
    func finish(_ start: Start, settle: Duration, idleTransactionsPerSecond: Double = 0, own: DatabaseCounters) async throws -> Usage {
        let cpu = await sampler.snapshot()
        let seconds = (ContinuousClock.now - start.clock).seconds
        let statements = try await DatabaseCounterReader.read(database, statements: statementsAvailable, excluding: exclusions).statements
        try await Task.sleep(for: settle)
        let transactions = try await DatabaseCounterReader.read(database, statements: statementsAvailable, excluding: exclusions).transactions
        // The start reading is one statement of the window; it and the first end reading are two transactions.
        let idle = DatabaseCounters.idleTransactions(perSecond: idleTransactionsPerSecond, over: settle.seconds)
        let ownWithReadings = DatabaseCounters(transactions: own.transactions + 2 + idle, statements: (own.statements ?? 0) + 1)
        return Usage(
            cpu: CPUUsage.usage(from: start.cpu, to: cpu, ticksPerSecond: ProcessSampler.ticksPerSecond),
            missing: sampler.missingGroups(in: start.cpu),
            counters: DatabaseCounters.delta(
                from: start.counters, to: DatabaseCounters(transactions: transactions, statements: statements), less: ownWithReadings),
            seconds: seconds, settleSeconds: settle.seconds, idleTransactionsPerSecond: idleTransactionsPerSecond)
    }

    /// The TCP port of a URL (`amqp://…:5680/…`, `postgresql://…:5440/…`).
    static func port(of url: String, default fallback: Int) -> Int {
        URLComponents(string: url)?.port ?? fallback
    }
}
