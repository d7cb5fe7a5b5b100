import AMQP
import Choreography
import Contracts
import Foundation
import HistoryService
import Logging
import Postgres

/// Runs the history service under the choreography runtime in this process over a backlog of
/// whole sagas' events and measures what logging them and keeping `delivery_status` costs.
struct HistoryBenchmark {
    let amqpURL: String
    let databaseURL: String
    let workers: Int
    let prefetch: Int
    /// Sagas in flight at once: the backlog interleaves this many sagas' events, step by step.
    let inFlight: Int

    /// What one run measured.
    struct Figures {
        /// Events handled per second, first to last handled (database clock).
        var eventsPerSecond: Double
        /// CPU of this process (the runtime and its history handler) per event, from the start of the runtime to the last event handled.
        var processMicrosecondsPerEvent: Double
        /// CPU of the runtime's PostgreSQL backends per event.
        var postgresMicrosecondsPerEvent: Double
        /// Rows of `events` read per event (index and sequential scans).
        var logRowsReadPerEvent: Double
        /// Row versions written to `delivery_status` per event (inserts and updates).
        var statusWritesPerEvent: Double
    }

    /// One run over `sagas` happy-path sagas (nine events each) in a fresh schema, dropped afterwards.
    func run(sagas: Int) async throws -> Figures {
        let bench = try BenchmarkRuntime(
            prefix: "benchhistory", amqpURL: amqpURL, databaseURL: databaseURL, workers: workers, prefetch: prefetch
        ) { name in try HistoryService.definition(name: name, schema: name) }
        let (name, configuration, runtime) = (bench.name, bench.configuration, bench.runtime)
        let topology = runtime.topology

        let admin = try await AMQPConnection.connect(url: amqpURL)
        try await topology.declare(on: admin)
        let backlog = try HistoryBacklog.messages(sagas: sagas, inFlight: inFlight, exchange: configuration.exchange)
        _ = try await admin.publish(backlog, window: 1024, timeout: .seconds(300))

        let database = try await PostgresConnection.connect(url: databaseURL, applicationName: "saga-bench history")
        let processStart = ProcessCPU.seconds()
        let postgresCPU = try await withThrowingTaskGroup(of: Double?.self) { group in
            group.addTask {
                try await runtime.run(handleSignals: false)
                return nil
            }
            group.addTask {
                try await Self.waitUntilHandled(backlog.count, schema: name, database)
                return try await Self.backendCPUSeconds(applicationPrefix: "\(name) ", database)
            }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            throw BenchmarkFailure("the runtime stopped")
        }
        let processSeconds = ProcessCPU.seconds() - processStart

        let span = try await database.query(
            "SELECT extract(epoch FROM max(handled_at) - min(handled_at))::float8 AS seconds FROM \(name).inbox"
        ).first?.decode(Double.self, column: "seconds") ?? 0
        let completed = try await database.query(
            "SELECT count(*)::int8 AS n FROM \(name).delivery_status WHERE stage = 'Completed' AND saga_state = 'completed'"
        ).first?.decode(Int.self, column: "n") ?? 0
        guard completed == sagas else { throw BenchmarkFailure("\(completed) of \(sagas) sagas show Completed") }
        // The backends report their table statistics when they end; give them a moment.
        try await Task.sleep(for: .seconds(1.5))
        let tables = try await database.query("""
            SELECT relname::text AS relname, (coalesce(idx_tup_fetch, 0) + seq_tup_read)::int8 AS rows_read,
                   (n_tup_ins + n_tup_upd)::int8 AS writes
            FROM pg_stat_user_tables WHERE schemaname = $1
            """, [.text(name)])
        var rowsRead: [String: Int] = [:]
        var writes: [String: Int] = [:]
        for row in tables {
            let table = try row.decode(String.self, column: "relname")
            rowsRead[table] = try row.decode(Int.self, column: "rows_read")
            writes[table] = try row.decode(Int.self, column: "writes")
        }

        for queue in [topology.workQueue, topology.parkedQueue]
            + (1..<configuration.retryPolicy.maximumAttempts).map(topology.retryQueue(afterAttempt:)) {
            _ = try? await admin.deleteQueue(queue)
        }
        try? await admin.deleteExchange(configuration.exchange)
        await admin.close()
        try await database.simpleQuery("DROP SCHEMA \(name) CASCADE")
        await database.close()

        let events = Double(backlog.count)
        return Figures(
            eventsPerSecond: span > 0 ? (events - 1) / span : 0,
            processMicrosecondsPerEvent: processSeconds * 1e6 / events,
            postgresMicrosecondsPerEvent: postgresCPU * 1e6 / events,
            logRowsReadPerEvent: Double(rowsRead["events"] ?? 0) / events,
            statusWritesPerEvent: Double(writes["delivery_status"] ?? 0) / events)
    }

    /// Waits until the service's inbox holds `count` events.
    private static func waitUntilHandled(_ count: Int, schema: String, _ database: PostgresConnection) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            // The runtime migrates the schema when it starts: until then there is no inbox.
            let migrated = try await database.query("SELECT to_regclass($1) IS NOT NULL AS migrated", [.text("\(schema).inbox")])
                .first?.decode(Bool.self, column: "migrated") ?? false
            if migrated {
                let handled = try await database.query("SELECT count(*)::int8 AS n FROM \(schema).inbox")
                    .first?.decode(Int.self, column: "n") ?? 0
                if handled >= count { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkFailure("the backlog of \(count) events was not handled within 600 s")
    }

    /// CPU seconds the PostgreSQL backends whose application name starts with `applicationPrefix` used so far (from /proc).
    private static func backendCPUSeconds(applicationPrefix: String, _ database: PostgresConnection) async throws -> Double {
        let rows = try await database.query(
            "SELECT pid FROM pg_stat_activity WHERE starts_with(application_name, $1)", [.text(applicationPrefix)])
        return try rows.reduce(0) { total, row in total + ProcessCPU.seconds(pid: try row.decode(Int.self, column: "pid")) }
    }
}

/// The backlog the history benchmark publishes: happy-path sagas, `inFlight` of them interleaved
/// step by step (as concurrent sagas' events reach the history queue), each event caused by the one before.
enum HistoryBacklog {
    /// The messages of `sagas` sagas, in publishing order.
    static func messages(sagas: Int, inFlight: Int, exchange: String) throws -> [AMQPOutgoingMessage] {
        var messages: [AMQPOutgoingMessage] = []
        let start = Date()
        for first in stride(from: 0, to: sagas, by: max(1, inFlight)) {
            let group = (first..<min(sagas, first + max(1, inFlight))).map { _ in UUID() }
            var causes: [UUID: UUID] = [:]
            for (step, message) in happyPath.enumerated() {
                for deliveryId in group {
                    let id = UUID()
                    messages.append(try message(
                        id, deliveryId, causes[deliveryId], exchange, start.addingTimeInterval(Double(step) * 0.1)))
                    causes[deliveryId] = id
                }
            }
        }
        return messages
    }

    /// Makes one event's message: id, delivery, cause, exchange, time.
    typealias MessageMaker = @Sendable (UUID, UUID, UUID?, String, Date) throws -> AMQPOutgoingMessage

    /// A maker for one payload.
    private static func maker(_ payload: some DomainEvent) -> MessageMaker {
        { id, deliveryId, causationId, exchange, occurredAt in
            try EventMessage.make(
                payload, id: id, deliveryId: deliveryId, causationId: causationId, exchange: exchange, occurredAt: occurredAt)
        }
    }

    /// The nine events of a completed delivery, from the contracts' samples.
    private static let happyPath: [MessageMaker] = [
        maker(DeliveryRequested.sample()), maker(AccountValidated.sample()), maker(PackageCreated.sample()),
        maker(DroneAllocated.sample()), maker(DeliveryScheduled.sample()), maker(DronePickedUp.sample()),
        maker(DroneDelivered.sample()), maker(DeliveryCompleted.sample()),
        maker(DroneReleased(droneId: DroneAllocated.sample().droneId, reason: Reason(.deliveryCompleted, "Delivered."))),
    ]
}
