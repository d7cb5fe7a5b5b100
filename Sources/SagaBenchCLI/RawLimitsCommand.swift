import AMQP
import ArgumentParser
import Foundation
import Postgres

/// `saga-bench raw`: what the broker and the database give on this machine, with no runtime.
struct RawLimitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raw",
        abstract: "Raw limits: confirmed persistent publishes/s, consumed-and-acked/s, PostgreSQL commits/s at 1 and 16 connections."
    )

    @OptionGroup var servers: ServerOptions

    @Option(help: "Messages per broker run.")
    var messages = 50_000

    @Option(help: "Publisher-confirm window (unconfirmed messages in flight).")
    var window = 512

    @Option(help: "Consumer prefetch.")
    var prefetch: UInt16 = 256

    @Option(help: "Seconds per database run.")
    var seconds = 3.0

    @Option(help: "Runs of each measurement; the median is reported.")
    var runs = 3

    func run() async throws {
        let (amqpURL, databaseURL) = try servers.resolved()
        print("saga-bench raw: \(runs) runs each, medians; \(messages) messages of \(RawLimits.sampleBody.count) bytes, window \(window), prefetch \(prefetch)")
        let limits = RawLimits(amqpURL: amqpURL, databaseURL: databaseURL)
        var report = BenchmarkReport()
        for _ in 0..<runs {
            let broker = try await limits.brokerRun(messages: messages, window: window, prefetch: prefetch)
            report.add("publish+confirm persistent (msg/s)", broker.publishPerSecond)
            report.add("consume+ack (msg/s)", broker.consumePerSecond)
        }
        for connections in [1, 16] {
            for _ in 0..<runs {
                let rate = try await limits.commitRate(connections: connections, seconds: seconds)
                report.add("postgres 1-row commits, \(connections) conn (tx/s)", rate)
            }
        }
        report.print()
    }
}
