import ArgumentParser
import CommandExit
import Choreography
import Foundation
import Postgres
import SagaInspect
import SagaInspectCommandLine

/// `saga-inspect`: reconstructs a delivery's saga across every service, lists sagas by verdict,
/// and counts them.
@main
struct SagaInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga-inspect",
        abstract: "Reconstruct a delivery's saga across all services: every event, who handled it, compensations, and a verdict.",
        discussion: """
            Reads every service's schema (read-only, one consistent snapshot) and, unless --no-parked, \
            every service's parking queue on the broker.

            EXIT CODES
              0   found, healthy: completed/compensated/rejected/cancelled/in flight
              1   no such delivery in any service's schema
              2   inconsistent or stuck (list: at least one listed delivery is)
              3   cannot connect to, or read, the database
              64  usage error (unknown option, malformed delivery id, bad --since)

            See docs/saga-inspect.md for the verdicts and the JSON shape.
            """,
        subcommands: [Trace.self, List.self, Stats.self]
    )

    static func main() async { await mainEndingThreadsFirst() }
}

/// `saga-inspect trace <delivery-id>`.
struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one delivery's saga: the causation tree, who handled each event, and the verdict.",
        discussion: """
            Text by default; --json for the documented JSON shape; --diagram mermaid for a Mermaid \
            sequence diagram. --follow re-reads every second and prints new events until the verdict is \
            final (completed, compensated, rejected, cancelled) or Ctrl-C.

            Exit codes: 0 found and healthy, 1 not found, 2 inconsistent or stuck, 3 cannot connect, 64 usage.
            """)

    @Argument(help: "The delivery id (a UUID).")
    var deliveryId: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Keep reading every second and print new events until the verdict is final (or Ctrl-C).")
    var follow = false

    @Option(help: "Print a diagram instead of the tree: mermaid.")
    var diagram: String?

    @Option(help: "Seconds without progress after which an in-flight saga is stuck, and a missing compensation inconsistent.")
    var stuckAfter: Double = SagaAnalysis.defaultStuckAfter

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard UUID(uuidString: deliveryId) != nil else {
            throw ValidationError("'\(deliveryId)' is not a delivery id: expected a UUID such as 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
        }
        if let diagram, diagram != "mermaid" { throw ValidationError("--diagram takes 'mermaid', not '\(diagram)'") }
        if json && diagram != nil { throw ValidationError("choose one of --json and --diagram") }
        if follow && (json || diagram != nil) { throw ValidationError("--follow prints text; it cannot be combined with --json or --diagram") }
        guard stuckAfter > 0, stuckAfter.isFinite else { throw ValidationError("--stuck-after must be a positive number of seconds") }
    }

    func run() async throws {
        let id = UUID(uuidString: deliveryId)!
        let database = try await connection.connect()
        if follow {
            try await connection.reportingDatabaseErrors { try await followSaga(id, database) }
            return
        }
        let parked = await connection.readParked()
        let snapshot = try await connection.reportingDatabaseErrors {
            try await SagaSnapshotLoader.load(
                deliveryId: id, database: database, parked: parked.messages, extraWarnings: parked.warnings)
        }
        guard let snapshot else {
            Console.error("no delivery \(id.uuidString.lowercased()) in any service's schema")
            throw SagaInspectExit.notFound
        }
        let report = SagaAnalysis.analyse(snapshot, now: Date(), stuckAfter: stuckAfter)
        if json {
            Console.print(SagaJSONRenderer.render(report))
        } else if diagram != nil {
            Console.print(SagaMermaidRenderer.render(report))
        } else {
            Console.print(SagaTextRenderer.render(report))
        }
        if report.verdict.needsAttention { throw SagaInspectExit.needsAttention }
    }

    /// Prints the report, then every new event and verdict change, once a second, until the
    /// verdict is final.
    private func followSaga(_ id: UUID, _ database: PostgresConnection) async throws {
        var shown: Set<UUID> = []
        var shownOutbox: Set<UUID> = []
        var lastVerdict: SagaVerdict?
        var announcedWaiting = false
        var connectionLost = false
        while true {
            let parked = await connection.readParked()
            let snapshot: SagaSnapshot?
            do {
                if connectionLost {
                    try await database.reset()
                    connectionLost = false
                    Console.print("reconnected to the database")
                }
                snapshot = try await SagaSnapshotLoader.load(
                    deliveryId: id, database: database, parked: parked.messages, extraWarnings: parked.warnings)
            } catch let error as PostgresError where error.isConnectionError {
                if !connectionLost {
                    Console.error("lost the database connection (\(DatabaseURLText.reason(error, url: connection.resolvedDatabaseURL))); retrying every second")
                }
                connectionLost = true
                try await Task.sleep(for: .seconds(1))
                continue
            }
            if let snapshot {
                let report = SagaAnalysis.analyse(snapshot, now: Date(), stuckAfter: stuckAfter)
                if lastVerdict == nil {
                    Console.print(SagaTextRenderer.render(report))
                    Console.print("following (Ctrl-C to stop)…")
                } else {
                    let fresh = report.events.filter { !shown.contains($0.eventId) }
                        .sorted { ($0.occurredAt, $0.eventId.uuidString) < ($1.occurredAt, $1.eventId.uuidString) }
                    for event in fresh { Console.print(SagaTextRenderer.line(for: event, start: report.startedAt)) }
                    for row in report.pendingOutbox where !shownOutbox.contains(row.eventId) && report.event(row.eventId) == nil {
                        Console.print("(committed, not yet published) \(row.eventType) in \(row.service)'s outbox")
                    }
                    if report.verdict != lastVerdict {
                        Console.print("verdict: \(SagaTextRenderer.headline(report.verdict)) — \(report.detail)")
                    }
                }
                shown.formUnion(report.events.map(\.eventId))
                shownOutbox.formUnion(report.pendingOutbox.map(\.eventId))
                lastVerdict = report.verdict
                if report.verdict.isFinal { return }
            } else if !announcedWaiting {
                Console.print("no delivery \(id.uuidString.lowercased()) yet; waiting for it to appear (Ctrl-C to stop)…")
                announcedWaiting = true
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

/// `saga-inspect list`.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List deliveries (newest activity first) with their verdicts.",
        discussion: """
            Reads history.delivery_status and computes each listed delivery's verdict. Exit codes: 0, \
            2 when a listed delivery is stuck or inconsistent, 3 cannot connect, 64 usage.
            """)

    @Option(help: "Only deliveries with this verdict: \(SagaStatusFilter.allCases.map(\.rawValue).joined(separator: "|")).")
    var status: String?

    @Option(help: "Only deliveries created since: a duration back from now (90s, 30m, 1h, 2d) or an RFC 3339 time.")
    var since: String?

    @Option(help: "At most this many.")
    var limit = 50

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Seconds without progress after which an in-flight saga is stuck.")
    var stuckAfter: Double = SagaAnalysis.defaultStuckAfter

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let status, SagaStatusFilter(rawValue: status) == nil {
            throw ValidationError("--status takes one of \(SagaStatusFilter.allCases.map(\.rawValue).joined(separator: ", ")), not '\(status)'")
        }
        if let since, SagaTimeText.since(since) == nil {
            throw ValidationError("--since takes a duration (90s, 30m, 1h, 2d) or an RFC 3339 time, not '\(since)'")
        }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        guard stuckAfter > 0, stuckAfter.isFinite else { throw ValidationError("--stuck-after must be a positive number of seconds") }
    }

    func run() async throws {
        let now = Date()
        let database = try await connection.connect()
        let parked = await connection.readParked()
        let listing = SagaListing(database: database, parked: parked.messages, extraWarnings: parked.warnings, stuckAfter: stuckAfter)
        let entries = try await connection.reportingDatabaseErrors {
            try await listing.list(
                status: status.flatMap(SagaStatusFilter.init(rawValue:)), since: since.flatMap { SagaTimeText.since($0, now: now) },
                limit: limit, now: now)
        }
        for warning in parked.warnings { Console.error("warning: \(warning)") }
        Console.print(json ? SagaJSONRenderer.text(SagaListingRenderer.json(entries)) : SagaListingRenderer.text(entries, now: now))
        if entries.contains(where: \.verdict.needsAttention) { throw SagaInspectExit.needsAttention }
    }
}

/// `saga-inspect stats`.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count deliveries per stage, saga state and failure reason; p50/p99 saga duration.",
        discussion: "Exit codes: 0, 3 cannot connect, 64 usage.")

    @Option(help: "Only deliveries created since: a duration back from now (90s, 30m, 1h, 2d) or an RFC 3339 time.")
    var since: String?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let since, SagaTimeText.since(since) == nil {
            throw ValidationError("--since takes a duration (90s, 30m, 1h, 2d) or an RFC 3339 time, not '\(since)'")
        }
    }

    func run() async throws {
        let database = try await connection.connect()
        let listing = SagaListing(database: database)
        let stats = try await connection.reportingDatabaseErrors {
            try await listing.stats(since: since.flatMap { SagaTimeText.since($0) })
        }
        Console.print(json ? SagaJSONRenderer.text(SagaListingRenderer.json(stats)) : SagaListingRenderer.text(stats))
    }
}
