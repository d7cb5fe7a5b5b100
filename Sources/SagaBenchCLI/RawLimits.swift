import AMQP
import Foundation
import Postgres

/// Measures what the broker and the database give on their own, with nothing of ours between.
struct RawLimits {
    let amqpURL: String
    let databaseURL: String

    /// A body the size of a typical event envelope.
    static let sampleBody = Array(#"""
    {"id":"6f1c9a52-3e0b-4b7c-9a55-2f0d1c3b7e10","type":"package.created","version":1,"occurredAt":"2026-11-21T10:00:00.000Z","deliveryId":"0d6c5a0e-8f2e-4a57-b1b8-6c7f6f2d9a11","causationId":"a4b2d1c0-1111-4c2d-9e8f-7a6b5c4d3e2f","producer":"package","data":{"packageId":"b7e2c1d0-2222-4f3e-8d9c-1a2b3c4d5e6f","size":"medium","weightKg":2.5,"tag":"fragile"}}
    """#.utf8)

    struct BrokerFigures {
        var publishPerSecond: Double
        var consumePerSecond: Double
    }

    /// Publishes `messages` persistent messages with confirms through a topic exchange into a
    /// durable queue, then consumes them with one ack per message.
    func brokerRun(messages: Int, window: Int, prefetch: UInt16) async throws -> BrokerFigures {
        let publisher = try await AMQPConnection.connect(url: amqpURL)
        let consumer = try await AMQPConnection.connect(url: amqpURL)
        let exchange = "bench.raw"
        let queue = "bench.raw.\(UUID().uuidString.prefix(8))"
        try await publisher.declareExchange(exchange, type: .topic)
        try await publisher.declareQueue(queue, options: AMQPQueueOptions(durable: true))
        try await publisher.bindQueue(queue, exchange: exchange, routingKey: "package.#")
        let batch = (0..<messages).map { index in
            AMQPOutgoingMessage(
                exchange: exchange, routingKey: "package.created", body: Self.sampleBody,
                properties: AMQPProperties(contentType: "application/json", persistent: true, messageId: "m\(index)"))
        }

        let publishStart = ContinuousClock.now
        let outcomes = try await publisher.publish(batch, window: window, timeout: .seconds(300))
        let publishTime = ContinuousClock.now - publishStart
        guard outcomes.allSatisfy({ $0 == .confirmed }) else {
            throw BenchmarkFailure("not every message was confirmed")
        }

        try await consumer.setPrefetch(prefetch)
        try await consumer.consume(queue: queue)
        var received = 0
        let consumeStart = ContinuousClock.now
        while received < messages {
            let deliveries = try await consumer.nextDeliveries(maximum: Int(prefetch), timeout: .seconds(10))
            guard !deliveries.isEmpty else { throw BenchmarkFailure("consumer stalled at \(received) of \(messages)") }
            for delivery in deliveries { try await consumer.ack(delivery) }
            received += deliveries.count
        }
        let consumeTime = ContinuousClock.now - consumeStart

        try await publisher.deleteQueue(queue)
        await publisher.close()
        await consumer.close()
        return BrokerFigures(
            publishPerSecond: Double(messages) / publishTime.seconds,
            consumePerSecond: Double(messages) / consumeTime.seconds)
    }

    /// Commits single-row INSERT transactions from `connections` connections for `seconds`.
    func commitRate(connections: Int, seconds: Double) async throws -> Double {
        let setup = try await PostgresConnection.connect(url: databaseURL)
        try await setup.simpleQuery("""
            CREATE TABLE IF NOT EXISTS bench_raw_commits (
                id bigserial PRIMARY KEY, worker int NOT NULL, payload text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now());
            TRUNCATE bench_raw_commits;
            """)
        let payload = String(decoding: Self.sampleBody, as: UTF8.self)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let start = ContinuousClock.now
        let commits = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    let connection = try await PostgresConnection.connect(url: databaseURL)
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await connection.transaction { connection in
                            _ = try connection.execute(
                                "INSERT INTO bench_raw_commits (worker, payload) VALUES ($1, $2)",
                                [.int(worker), .text(payload)])
                        }
                        count += 1
                    }
                    await connection.close()
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        try await setup.simpleQuery("DROP TABLE bench_raw_commits")
        await setup.close()
        return Double(commits) / elapsed.seconds
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
