import ArgumentParser
import Choreography
import Foundation
import HistoryService
import Postgres
import SagaExplorer
import SagaInspect

/// `saga-bench explorer-list`: how long the saga explorer takes for the first page of its list
/// over a large history (the bar: under 200 ms over 100,000 sagas).
struct ExplorerListBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explorer-list",
        abstract: "Seeds a fresh history schema with N sagas and times the explorer's first list page (prints figures; not a test).",
        discussion: """
            Migrates a fresh schema with the history service's migrations (so with the explorer's index), \
            inserts --sagas status rows (70% completed, 10% compensated, 10% rejected, 10% in flight; 500 \
            owners; one a second back from now), ANALYZEs, then builds the first page --runs times the way \
            `saga-explorer` answers GET / (the counts per verdict, the 50 newest rows, the HTML) and \
            prints the first (cold) time and the median, p90 and max of the rest. Drops the schema.
            """)

    @OptionGroup var servers: ServerOptions

    @Option(help: "Sagas to seed.")
    var sagas = 100_000

    @Option(help: "Timed page builds.")
    var runs = 30

    func run() async throws {
        let (_, databaseURL) = try servers.resolved()
        let schema = "explorer_bench_\(UUID().uuidString.prefix(8).lowercased())"
        let db = try await PostgresConnection.connect(url: databaseURL, applicationName: "saga-bench explorer-list")
        do {
            try await seed(schema: schema, db)
            try await measure(schema: schema, db)
        } catch {
            _ = try? await db.simpleQuery("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            await db.close()
            throw error
        }
        _ = try await db.simpleQuery("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        await db.close()
    }

    /// The history service's migrations in a fresh schema, then the status rows.
    private func seed(schema: String, _ db: PostgresConnection) async throws {
        let started = ContinuousClock.now
        _ = try await db.simpleQuery("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
        for migration in try HistoryService.migrations() { _ = try await db.simpleQuery(migration.sql) }
        _ = try await db.execute("""
            INSERT INTO delivery_status (delivery_id, stage, saga_state, owner_id, drone_id, reason_code, last_event_type, created_at, updated_at)
            SELECT gen_random_uuid(),
                   CASE WHEN i % 10 < 7 THEN 'Completed' WHEN i % 10 = 7 THEN 'Compensated' WHEN i % 10 = 8 THEN 'Rejected' ELSE 'HeadedToPickup' END,
                   CASE WHEN i % 10 < 7 THEN 'completed' WHEN i % 10 = 7 THEN 'compensated' WHEN i % 10 = 8 THEN 'rejected' ELSE 'inFlight' END,
                   'acct-' || (i % 500), 'drone-' || (i % 40),
                   CASE WHEN i % 10 = 7 THEN 'NO_DRONE_AVAILABLE' WHEN i % 10 = 8 THEN 'ACCOUNT_SUSPENDED' END,
                   CASE WHEN i % 10 < 7 THEN 'drone.released' WHEN i % 10 = 7 THEN 'drone.allocation-failed' WHEN i % 10 = 8 THEN 'package.cancelled'
                        ELSE 'delivery.scheduled' END,
                   clock_timestamp() - i * interval '1 second' - interval '30 seconds', clock_timestamp() - i * interval '1 second'
            FROM generate_series(1, $1) AS i
            """, [.int(sagas)])
        _ = try await db.simpleQuery("ANALYZE delivery_status; RESET search_path")
        print("saga-bench explorer-list: seeded \(sagas) sagas in \(schema).delivery_status in \(format(ContinuousClock.now - started))")
    }

    /// Builds the first page `runs` times.
    private func measure(schema: String, _ db: PostgresConnection) async throws {
        let index = SagaIndex(schemas: SagaSchemas(history: schema))
        var times: [Duration] = []
        var rows = 0
        var bytes = 0
        for _ in 0..<runs {
            let started = ContinuousClock.now
            let filter = try SagaListFilter.parse([:])
            let page = try await index.page(filter, database: db)
            let html = ListPage.render(page, filter: filter)
            times.append(ContinuousClock.now - started)
            rows = page.rows.count
            bytes = html.utf8.count
        }
        let cold = times.removeFirst()
        times.sort()
        func at(_ fraction: Double) -> Duration { times[min(times.count - 1, Int(Double(times.count - 1) * fraction))] }
        print("first page (counts per verdict + \(rows) newest rows + \(bytes) bytes of HTML) over \(sagas) sagas:")
        print("  first run \(format(cold)); then over \(times.count) runs: median \(format(at(0.5))), p90 \(format(at(0.9))), max \(format(times.last ?? cold))")
    }

    private func format(_ duration: Duration) -> String { String(format: "%.1f ms", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15) }
}
