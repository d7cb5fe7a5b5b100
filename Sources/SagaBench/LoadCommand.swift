import ArgumentParser
import Foundation
import Postgres
import SagaScenarios

/// `saga-bench load`: drives the running system through its HTTP API and reports how fast sagas
/// complete end to end.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Submit N deliveries through the HTTP API, wait until every saga has ended, print sagas/s and end-to-end latency.",
        discussion: """
            Needs the six services running (scripts/run.sh). Latency is measured in the database
            clock: from the ingestion service's acceptance (requests.accepted_at) to the moment the
            history service recorded the event that ended the saga. Exits 1 if any saga has not
            ended within --timeout.
            """)

    @Option(help: "Deliveries to submit.")
    var count = 200

    @Option(help: "Submissions per second (0: as fast as they are accepted).")
    var rate = 0.0

    @Option(help: "Requests in flight at once.")
    var concurrency = 16

    @Option(help: "Paths and weights, e.g. completed=80,no-fly-zone=10,cancelled=10. Paths: \(SagaPath.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mix = "completed=70,account-suspended=5,package-rejected=5,no-drone-in-range=5,no-fly-zone=5,deadline-unreachable=5,cancelled=5"

    @Option(help: "Ingestion service port.")
    var ingestionPort = 8080

    @Option(help: "History service port.")
    var historyPort = 8086

    @Option(help: "Database URL with read access to the ingestion and history schemas (default: $DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Seconds to wait for every saga to end.")
    var timeout = 300

    func run() async throws {
        let plan = SagaPath.plan(count: count, mix: try SagaPath.parseMix(mix))
        guard !plan.isEmpty else { throw ValidationError("the mix has no weight") }
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw ValidationError("DATABASE_URL is not set; pass --database-url")
        }
        let client = DeliveryAPIClient(ingestionPort: ingestionPort, historyPort: historyPort)
        let database = try await PostgresConnection.connect(url: url, applicationName: "saga-bench load")

        print("submitting \(plan.count) deliveries (\(rate > 0 ? "\(rate)/s" : "as fast as accepted"), \(concurrency) in flight)")
        let started = ContinuousClock.now
        let submitted = try await submit(plan, client: client)
        let submitSeconds = (ContinuousClock.now - started).seconds
        print(String(format: "accepted %d in %.1f s (%.0f requests/s)", submitted.count, submitSeconds, Double(submitted.count) / submitSeconds))

        let ids = submitted.map(\.0)
        let deadline = ContinuousClock.now + .seconds(timeout)
        var ended: [UUID: String] = [:]
        while ContinuousClock.now < deadline {
            ended = try await terminalStages(ids, database)
            if ended.count == ids.count { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let latencies = try await latencies(ids, database).sorted()
        let span = try await span(ids, database)
        await database.close()

        print("")
        print("sagas ended        \(ended.count) / \(ids.count)")
        if span > 0 { print(String(format: "completed sagas/s  %.1f  (first acceptance to last saga end: %.2f s)", Double(ended.count) / span, span)) }
        if !latencies.isEmpty {
            print(String(format: "end-to-end latency p50 %.0f ms  p95 %.0f ms  p99 %.0f ms  max %.0f ms",
                         percentile(latencies, 0.50) * 1000, percentile(latencies, 0.95) * 1000,
                         percentile(latencies, 0.99) * 1000, latencies.last! * 1000))
        }
        print("terminal stages:")
        for (stage, number) in Dictionary(grouping: ended.values, by: { $0 }).mapValues(\.count).sorted(by: { $0.key < $1.key }) {
            print("  \(stage.padding(toLength: 12, withPad: " ", startingAt: 0)) \(number)")
        }
        var unexpected = 0
        for (id, path) in submitted { if let stage = ended[id], !path.expectedStages.contains(stage) { unexpected += 1 } }
        if unexpected > 0 { print("sagas that ended in a stage their path does not expect: \(unexpected)") }
        let missing = ids.filter { ended[$0] == nil }
        if !missing.isEmpty {
            print("NOT ENDED within \(timeout) s: \(missing.count), e.g. \(missing.prefix(5).map { $0.uuidString.lowercased() }.joined(separator: " "))")
            print("trace one with: saga-inspect trace <id>")
            throw ExitCode(1)
        }
    }

    /// Submits the plan with bounded concurrency and optional pacing; cancels the `cancelled` ones at once.
    private func submit(_ plan: [SagaPath], client: DeliveryAPIClient) async throws -> [(UUID, SagaPath)] {
        let start = ContinuousClock.now
        let interval: Duration? = rate > 0 ? .nanoseconds(Int64(1e9 / rate)) : nil
        return try await withThrowingTaskGroup(of: (UUID, SagaPath).self) { group in
            var results: [(UUID, SagaPath)] = []
            for (index, path) in plan.enumerated() {
                if index >= concurrency, let done = try await group.next() { results.append(done) }
                if let interval { try await Task.sleep(until: start + interval * index) }
                group.addTask {
                    let id = try await client.submit(path.requestBody(tag: "load"))
                    if path == .cancelled { _ = try await client.cancel(id) }
                    return (id, path)
                }
            }
            for try await done in group { results.append(done) }
            return results
        }
    }

    private static let terminalStages = ["Completed", "Cancelled", "Compensated", "Rejected"]
    private static let endingEvents = [
        "delivery.completed", "delivery.cancelled", "account.rejected", "package.rejected", "drone.allocation-failed",
        "delivery.scheduling-failed",
    ]

    private func terminalStages(_ ids: [UUID], _ db: PostgresConnection) async throws -> [UUID: String] {
        let rows = try await db.query(
            "SELECT delivery_id, stage FROM history.delivery_status WHERE delivery_id = ANY($1::uuid[]) AND stage = ANY($2::text[])",
            [uuidArray(ids), textArray(Self.terminalStages)])
        var stages: [UUID: String] = [:]
        for row in rows { stages[try row.decode(UUID.self, column: "delivery_id")] = try row.decode(String.self, column: "stage") }
        return stages
    }

    /// Seconds from acceptance to the first saga-ending event the history recorded, per saga.
    private func latencies(_ ids: [UUID], _ db: PostgresConnection) async throws -> [Double] {
        let rows = try await db.query("""
            SELECT extract(epoch FROM min(e.recorded_at) - r.accepted_at)::float8 AS seconds
            FROM ingestion.requests r JOIN history.events e ON e.delivery_id = r.delivery_id
            WHERE r.delivery_id = ANY($1::uuid[]) AND e.event_type = ANY($2::text[])
            GROUP BY r.delivery_id, r.accepted_at
            """, [uuidArray(ids), textArray(Self.endingEvents)])
        return try rows.map { try $0.decode(Double.self, column: "seconds") }
    }

    /// Seconds from the first acceptance to the last saga end.
    private func span(_ ids: [UUID], _ db: PostgresConnection) async throws -> Double {
        let rows = try await db.query("""
            SELECT extract(epoch FROM
                (SELECT max(ended) FROM (SELECT min(recorded_at) AS ended FROM history.events
                    WHERE delivery_id = ANY($1::uuid[]) AND event_type = ANY($2::text[]) GROUP BY delivery_id) AS sagas)
                - (SELECT min(accepted_at) FROM ingestion.requests WHERE delivery_id = ANY($1::uuid[])))::float8 AS seconds
            """, [uuidArray(ids), textArray(Self.endingEvents)])
        return try rows.first?.decode(Double?.self, column: "seconds") ?? 0
    }

    private func uuidArray(_ ids: [UUID]) -> PostgresValue {
        .text("{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}")
    }

    private func textArray(_ values: [String]) -> PostgresValue {
        .text("{" + values.map { "\"\($0)\"" }.joined(separator: ",") + "}")
    }

    private func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
}
