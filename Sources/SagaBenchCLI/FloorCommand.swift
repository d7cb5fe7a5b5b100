import ArgumentParser
import Foundation
import SagaLoadMeasures

/// `saga-bench floor`: what the saga's messaging costs with no service work, the floor under
/// `saga-bench load` on the same servers.
struct FloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor",
        abstract: "The saga's message pattern with no service work: sagas/s and CPU per saga of the broker, the database and the bare clients.",
        discussion: """
            Each consuming service is replaced by a bare one in this process (a consumer and a confirming \
            publisher connection, as the runtime has) that only publishes what the completed path publishes \
            next (8 events, 19 deliveries per saga, over a private copy of the saga's queues and bindings), \
            then acknowledges. With --database, each batch is also one commit of its inbox and outbox rows \
            (over FABRIKAM_PG_SOCKET_DIR's socket when that is set, as the services connect). Nothing is \
            validated, handled, logged or traced. Compare with `saga-bench load` at the same count and \
            concurrency: the difference is the services' own work.
            """
    )

    @OptionGroup var servers: ServerOptions

    @Option(help: "Sagas to run.")
    var count = 2000

    @Option(help: "Sagas in flight (closed loop: a lane starts its next saga when its last one ended).")
    var concurrency = 32

    @Option(help: "Each bare service's prefetch (the runtime's default).")
    var prefetch = 64

    @Flag(inversion: .prefixedNo, help: "One commit per batch (inbox rows, outbox rows) on each bare service's own connection.")
    var database = true

    func validate() throws {
        guard count > 0, concurrency > 0, prefetch > 0 else { throw ValidationError("--count, --concurrency and --prefetch must be positive") }
    }

    func run() async throws {
        let (amqpURL, databaseURL) = try servers.resolved()
        let socketDirectory = ProcessInfo.processInfo.environment["FABRIKAM_PG_SOCKET_DIR"]
        let serviceURL = socketDirectory.map { databaseURL + (databaseURL.contains("?") ? "&" : "?") + "host=\($0)" } ?? databaseURL
        let sampler = ProcessSampler(
            program: "", services: [],
            serverPorts: [("rabbitmq", ResourceMeter.port(of: amqpURL, default: 5672)), ("postgres", ResourceMeter.port(of: databaseURL, default: 5432))])
        let bare = BareSagaRun(amqpURL: amqpURL, databaseURL: serviceURL, count: count, concurrency: concurrency, prefetch: prefetch, database: database)
        print("saga-bench floor: \(count) bare sagas, \(concurrency) in flight, prefetch \(prefetch), \(database ? "one commit per batch" : "no database")")
        let (elapsed, usage, own) = try await bare.run { drive in
            let cpuStart = await sampler.snapshot()
            let ownStart = ProcessCPU.seconds()
            let clockStart = ContinuousClock.now
            try await drive()
            let elapsed = (ContinuousClock.now - clockStart).seconds
            let usage = CPUUsage.usage(from: cpuStart, to: await sampler.snapshot(), ticksPerSecond: ProcessSampler.ticksPerSecond)
            return (elapsed, usage, ProcessCPU.seconds() - ownStart)
        }
        let perSaga = { (seconds: Double) in CPUUsage.millisecondsPerSaga(seconds, sagas: count) }
        let broker = usage["rabbitmq"]?.seconds ?? 0, postgres = usage["postgres"]?.seconds ?? 0
        let figures: [(String, Double)] = [
            ("rabbitmq", perSaga(broker)), ("postgres", perSaga(postgres)), ("bare clients", perSaga(own)),
            ("all", perSaga(broker + postgres + own)),
        ]
        print("sagas/s         \(ResourceReport.format(Double(count) / elapsed, 1))  (\(ResourceReport.format(elapsed, 2)) s)")
        print("CPU per saga (/proc utime+stime; the bare clients are this process, its driver included):")
        for (name, value) in figures { print("  \(name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(ResourceReport.format(value, 2)) ms") }
        let fields = ["sagas=\(count)", "sagas_per_s=\(ResourceReport.format(Double(count) / elapsed, 1))"]
            + figures.map { "cpu_ms_per_saga.\($0.0.replacingOccurrences(of: " ", with: "_"))=\(ResourceReport.format($0.1, 2))" }
        print((["FLOOR"] + fields).joined(separator: " "))
    }
}
