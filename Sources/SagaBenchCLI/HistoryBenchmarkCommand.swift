import ArgumentParser
import Foundation

/// `saga-bench history`: what the history service costs per event (log + status view), in one run.
struct HistoryBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "History service under the runtime over a backlog of whole sagas' events: events/s and CPU per event "
            + "of the service and of its PostgreSQL backends.",
        discussion: """
            Each run migrates a fresh schema, publishes the backlog (happy-path sagas of nine events,
            --in-flight sagas interleaved step by step), runs the history service in this process until
            every event is in its inbox, checks every saga shows Completed, and drops the schema.
            PostgreSQL CPU is read from /proc for the runtime's own backends, so it needs the
            database on this machine.
            """)

    @OptionGroup var servers: ServerOptions

    @Option(help: "Sagas per run (nine events each).")
    var sagas = 1_000

    @Option(help: "Sagas whose events are interleaved in the backlog.")
    var inFlight = 32

    @Option(help: "Worker database connections (the service's default is 4).")
    var workers = 4

    @Option(help: "Runtime prefetch (the service's default is 64).")
    var prefetch = 64

    @Option(help: "Runs; medians are reported.")
    var runs = 5

    func run() async throws {
        let (amqpURL, databaseURL) = try servers.resolved()
        print("saga-bench history: \(runs) runs, medians; \(sagas) sagas × 9 events, \(inFlight) interleaved, "
            + "\(workers) workers, prefetch \(prefetch)")
        let benchmark = HistoryBenchmark(
            amqpURL: amqpURL, databaseURL: databaseURL, workers: workers, prefetch: prefetch, inFlight: inFlight)
        var report = BenchmarkReport()
        for _ in 0..<runs {
            let figures = try await benchmark.run(sagas: sagas)
            report.add("history events/s", figures.eventsPerSecond)
            report.add("history process CPU per event (µs)", figures.processMicrosecondsPerEvent)
            report.add("postgres backend CPU per event (µs)", figures.postgresMicrosecondsPerEvent)
            report.add("rows of events read per event (×100)", figures.logRowsReadPerEvent * 100)
            report.add("delivery_status row writes per event (×100)", figures.statusWritesPerEvent * 100)
        }
        report.print()
    }
}
