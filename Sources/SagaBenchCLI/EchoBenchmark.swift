import AMQP
import Choreography
import Contracts
import EchoService
import Foundation
import Logging
import Postgres

/// Runs the echo service under the choreography runtime in this process and measures it:
/// consume → transaction (inbox + one row + outbox) → publish with confirms → ack.
struct EchoBenchmark {
    let amqpURL: String
    let databaseURL: String
    let workers: Int
    let prefetch: Int
    let eventsPerTransaction: Int

    struct Figures {
        var eventsPerSecond: Double
        var latencies: [Duration]
    }

    /// One run: a backlog of `events` requests drained as fast as the runtime can (throughput),
    /// then `pacedEvents` requests published at `pacedRate`/s (end-to-end latency: request
    /// published → emitted event received).
    func run(events: Int, pacedEvents: Int, pacedRate: Double) async throws -> Figures {
        let bench = try BenchmarkRuntime(
            prefix: "bench", amqpURL: amqpURL, databaseURL: databaseURL, workers: workers, prefetch: prefetch,
            eventsPerTransaction: eventsPerTransaction
        ) { name in try EchoService.definition(name: name, schema: name) }
        let (name, configuration, runtime) = (bench.name, bench.configuration, bench.runtime)
        let topology = runtime.topology

        // Topology and capture queue first, then the backlog.
        let admin = try await AMQPConnection.connect(url: amqpURL)
        try await topology.declare(on: admin)
        let capture = "\(name).capture"
        try await admin.declareQueue(capture, options: AMQPQueueOptions(durable: true))
        try await admin.bindQueue(capture, exchange: configuration.exchange, routingKey: "account.validated")
        let backlog = try (0..<events).map { index in try request(exchange: configuration.exchange, owner: "owner-\(index % 512)").message }
        _ = try await admin.publish(backlog, window: 1024, timeout: .seconds(300))

        let consumer = try await AMQPConnection.connect(url: amqpURL)
        try await consumer.setPrefetch(1000)
        try await consumer.consume(queue: capture)

        let figures = try await withThrowingTaskGroup(of: Figures?.self) { group in
            group.addTask {
                try await runtime.run(handleSignals: false)
                return nil
            }
            group.addTask { [configuration] in
                // Throughput: from the first emitted event to the last of the backlog.
                var received = 0
                var first: ContinuousClock.Instant?
                while received < events {
                    let batch = try await consumer.nextDeliveries(maximum: 1000, timeout: .seconds(30))
                    guard let last = batch.last else { throw BenchmarkFailure("stalled at \(received) of \(events) events") }
                    if first == nil { first = ContinuousClock.now }
                    try await consumer.ack(last, multiple: true)
                    received += batch.count
                }
                let throughputTime = ContinuousClock.now - first!
                let eventsPerSecond = Double(received - 1) / throughputTime.seconds

                // Latency: paced requests, each timed from publish to the emitted event.
                var sentAt: [String: ContinuousClock.Instant] = [:]
                var latencies: [Duration] = []
                let interval = Duration.seconds(1 / pacedRate)
                var next = ContinuousClock.now
                for index in 0..<pacedEvents {
                    let (message, id) = try request(exchange: configuration.exchange, owner: "paced-\(index % 64)")
                    try await ContinuousClock().sleep(until: next)
                    sentAt[id] = ContinuousClock.now
                    try await admin.publishWithoutConfirm(message)
                    next += interval
                    for delivery in try await consumer.nextDeliveries(maximum: 100, timeout: .zero) {
                        latencies.append(elapsed(delivery, sentAt))
                        try await consumer.ack(delivery)
                    }
                }
                while latencies.count < pacedEvents {
                    let batch = try await consumer.nextDeliveries(maximum: 100, timeout: .seconds(30))
                    guard !batch.isEmpty else { throw BenchmarkFailure("paced phase stalled") }
                    for delivery in batch {
                        latencies.append(elapsed(delivery, sentAt))
                        try await consumer.ack(delivery)
                    }
                }
                return Figures(eventsPerSecond: eventsPerSecond, latencies: latencies)
            }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            throw BenchmarkFailure("the runtime stopped")
        }

        await consumer.close()
        for queue in [topology.workQueue, topology.parkedQueue, capture]
            + (1..<configuration.retryPolicy.maximumAttempts).map(topology.retryQueue(afterAttempt:)) {
            _ = try? await admin.deleteQueue(queue)
        }
        try? await admin.deleteExchange(configuration.exchange)
        await admin.close()
        let database = try await PostgresConnection.connect(url: databaseURL)
        try await database.simpleQuery("DROP SCHEMA \(name) CASCADE")
        await database.close()
        return figures
    }

    private func request(exchange: String, owner: String) throws -> (message: AMQPOutgoingMessage, id: String) {
        var payload = DeliveryRequested.sample()
        payload.ownerId = owner
        let id = UUID()
        let deliveryId = UUID()
        return (try EventMessage.make(payload, id: id, deliveryId: deliveryId, exchange: exchange), id.uuidString.lowercased())
    }

    private func elapsed(_ delivery: AMQPDelivery, _ sentAt: [String: ContinuousClock.Instant]) -> Duration {
        guard let cause = delivery.properties.headers[EventExchange.Header.causationId]?.stringValue, let start = sentAt[cause] else {
            return .zero
        }
        return ContinuousClock.now - start
    }
}
