import ArgumentParser
import Choreography
import Foundation
import Logging
import ServiceHTTP
import ServiceLifecycle

/// `saga-bench echo`: the runtime's events/s and latency next to the raw limits, in one run.
struct EchoBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Echo service under the runtime (consume → inbox + row + outbox → publish with confirms → ack), "
            + "with the raw broker and database limits measured in the same run."
    )

    @OptionGroup var servers: ServerOptions

    @Option(help: "Backlog events per throughput run.")
    var events = 20_000

    @Option(help: "Paced events per latency run.")
    var pacedEvents = 2_000

    @Option(help: "Paced publishing rate (events/s) for the latency run.")
    var pacedRate = 500.0

    @Option(help: "Worker database connections of the runtime (and the raw commit baseline's connections).")
    var workers = 8

    @Option(help: "Runtime prefetch (default: 64 per worker).")
    var prefetch: Int?

    @Option(help: "Events a worker handles in one transaction (the echo service's own setting is 16).")
    var eventsPerTransaction = 16

    @Flag(inversion: .prefixedNo, help: "Also measure one event per transaction in each run, for comparison.")
    var compareSingle = true

    @Option(help: "Runs; medians are reported.")
    var runs = 3

    func run() async throws {
        // With OTEL_* configured, the runtime under test traces and exports (the cost of tracing on).
        let exporter = try TracingBootstrap.bootstrap(
            service: "saga-bench-echo", environment: ProcessInfo.processInfo.environment, logger: Logger(label: "saga-bench"))
        let exporting = exporter.map { service in Task { try await service.run() } }
        defer { exporting?.cancel() }
        let (amqpURL, databaseURL) = try servers.resolved()
        let prefetch = self.prefetch ?? 64 * workers
        print("saga-bench echo\(exporter == nil ? "" : " (tracing on)"): \(runs) runs, medians; backlog \(events) events, \(workers) workers, prefetch \(prefetch), \(eventsPerTransaction) events per transaction; "
            + "latency at \(Int(pacedRate))/s over \(pacedEvents) events")
        let raw = RawLimits(amqpURL: amqpURL, databaseURL: databaseURL)
        let echo = EchoBenchmark(
            amqpURL: amqpURL, databaseURL: databaseURL, workers: workers, prefetch: prefetch, eventsPerTransaction: eventsPerTransaction)
        let single = EchoBenchmark(amqpURL: amqpURL, databaseURL: databaseURL, workers: workers, prefetch: prefetch, eventsPerTransaction: 1)
        var report = BenchmarkReport()
        for _ in 0..<runs {
            let broker = try await raw.brokerRun(messages: events, window: 512, prefetch: UInt16(clamping: prefetch))
            report.add("raw publish+confirm (msg/s)", broker.publishPerSecond)
            report.add("raw consume+ack (msg/s)", broker.consumePerSecond)
            report.add("raw postgres 1-row commits, \(workers) conn (tx/s)", try await raw.commitRate(connections: workers, seconds: 3))
            let figures = try await echo.run(events: events, pacedEvents: pacedEvents, pacedRate: pacedRate)
            report.add("echo under runtime (events/s)", figures.eventsPerSecond)
            let sorted = figures.latencies.sorted()
            if !sorted.isEmpty {
                report.add("echo latency p50 (ms)", sorted[sorted.count / 2].milliseconds)
                report.add("echo latency p99 (ms)", sorted[min(sorted.count - 1, sorted.count * 99 / 100)].milliseconds)
            }
            if compareSingle {
                let figures = try await single.run(events: events, pacedEvents: 0, pacedRate: pacedRate)
                report.add("echo, 1 event per transaction (events/s)", figures.eventsPerSecond)
            }
        }
        report.print()
        let echoRate = report.median("echo under runtime (events/s)")!
        let lowerRaw = min(
            report.median("raw publish+confirm (msg/s)")!, report.median("raw postgres 1-row commits, \(workers) conn (tx/s)")!)
        print("")
        print(String(format: "echo / lower raw limit = %.0f / %.0f = %.0f%%  (target ≥ 50%% and ≥ 3000 events/s)",
                     echoRate, lowerRaw, 100 * echoRate / lowerRaw))
    }
}

/// The broker and database URLs every benchmark takes: options, else the environment.
struct ServerOptions: ParsableArguments {
    @Option(help: "Broker URL (default: $AMQP_URL).")
    var amqpURL: String?

    @Option(help: "Database URL (default: $DATABASE_URL).")
    var databaseURL: String?

    func resolved() throws -> (amqp: String, database: String) {
        (try Self.resolve(amqpURL, "AMQP_URL"), try Self.resolve(databaseURL, "DATABASE_URL"))
    }

    private static func resolve(_ value: String?, _ variable: String) throws -> String {
        if let value { return value }
        if let value = ServiceSettings().string(variable, isSecret: true) { return value }
        throw ValidationError("\(variable) is not set; run `eval \"$(scripts/servers.sh start)\"` first or pass the URL.")
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
