import AMQP
import Foundation
import IntegrationSupport
import Testing

/// Against the real private RabbitMQ that scripts/test.sh starts.
@Suite("AMQP against RabbitMQ")
struct AMQPIntegrationTests {
    private func connect(_ name: String = #function) async throws -> AMQPConnection {
        var configuration = try AMQPConfiguration(url: TestServers.amqpURL())
        configuration.connectionName = "AMQPTests \(name)"
        return try await AMQPConnection.connect(configuration)
    }

    private func uniqueName(_ prefix: String) -> String {
        "test.\(prefix).\(UUID().uuidString.prefix(8))"
    }

    private func message(_ exchange: String, _ key: String, id: String, body: String, mandatory: Bool = false) -> AMQPOutgoingMessage {
        AMQPOutgoingMessage(
            exchange: exchange, routingKey: key, body: Array(body.utf8),
            properties: AMQPProperties(contentType: "application/json", messageId: id), mandatory: mandatory)
    }

    /// Drains a queue until `count` deliveries arrived or `timeout` passed, acking each.
    private func consumeAll(_ connection: AMQPConnection, count: Int, timeout: Duration = .seconds(30)) async throws -> [AMQPDelivery] {
        var received: [AMQPDelivery] = []
        let deadline = ContinuousClock.now + timeout
        while received.count < count, ContinuousClock.now < deadline {
            let batch = try await connection.nextDeliveries(maximum: 256, timeout: .milliseconds(200))
            if let last = batch.last { try await connection.ack(last, multiple: true) }
            received += batch
        }
        return received
    }

    @Test("publish N persistent messages with confirms, consume them back with acks, nothing lost")
    func publishAndConsumeEverything() async throws {
        let publisher = try await connect()
        let consumer = try await connect()
        let exchange = uniqueName("exchange")
        let queue = uniqueName("queue")
        try await publisher.declareExchange(exchange, type: .topic, autoDelete: true)
        try await publisher.declareQueue(queue, options: AMQPQueueOptions(durable: true))
        try await publisher.bindQueue(queue, exchange: exchange, routingKey: "package.*")

        let count = 5_000
        let messages = (0..<count).map { message(exchange, "package.created", id: "m\($0)", body: #"{"n":\#($0)}"#) }
        let outcomes = try await publisher.publish(messages, window: 256)
        #expect(outcomes.count == count)
        #expect(outcomes.allSatisfy { $0 == .confirmed })
        #expect(try await publisher.inspectQueue(queue).messageCount == UInt32(count))

        try await consumer.setPrefetch(500)
        try await consumer.consume(queue: queue)
        let received = try await consumeAll(consumer, count: count)
        #expect(received.count == count)
        #expect(Set(received.compactMap(\.properties.messageId)) == Set((0..<count).map { "m\($0)" }))
        #expect(received.allSatisfy { $0.properties.persistent && $0.routingKey == "package.created" && !$0.redelivered })
        #expect(String(decoding: received[0].body, as: UTF8.self).hasPrefix(#"{"n":"#))

        // Everything was acked: after the consumer leaves, nothing comes back.
        await consumer.close()
        #expect(try await publisher.inspectQueue(queue).messageCount == 0)
        try await publisher.deleteQueue(queue)
        await publisher.close()
    }

    @Test("an unacked message is redelivered after the consumer's channel closes")
    func unackedMessageIsRedelivered() async throws {
        let admin = try await connect()
        let queue = uniqueName("redeliver")
        try await admin.declareQueue(queue)
        #expect(try await admin.publish(message("", queue, id: "only", body: "{}")) == .confirmed)

        let first = try await connect()
        try await first.consume(queue: queue)
        let delivered = try #require(try await first.nextDelivery(timeout: .seconds(5)))
        #expect(delivered.properties.messageId == "only")
        #expect(!delivered.redelivered)
        await first.close()  // no ack

        let second = try await connect()
        try await second.consume(queue: queue)
        let again = try #require(try await second.nextDelivery(timeout: .seconds(5)))
        #expect(again.properties.messageId == "only")
        #expect(again.redelivered)
        try await second.ack(again)
        await second.close()
        try await admin.deleteQueue(queue)
        await admin.close()
    }

    @Test("a message rejected without requeue reaches the dead-letter queue with x-death")
    func rejectedMessageIsDeadLettered() async throws {
        let connection = try await connect()
        let work = uniqueName("work")
        let dead = uniqueName("dead")
        try await connection.declareQueue(dead)
        try await connection.declareQueue(work, options: AMQPQueueOptions(deadLetterExchange: "", deadLetterRoutingKey: dead))
        var poisoned = message("", work, id: "poison", body: "not json")
        poisoned.properties.headers = ["x-producer": "tests"]
        #expect(try await connection.publish(poisoned) == .confirmed)

        let tag = try await connection.consume(queue: work)
        let delivery = try #require(try await connection.nextDelivery(timeout: .seconds(5)))
        try await connection.reject(delivery, requeue: false)
        try await connection.cancelConsumer(tag)

        try await connection.consume(queue: dead)
        let parked = try #require(try await connection.nextDelivery(timeout: .seconds(5)))
        #expect(parked.properties.messageId == "poison")
        #expect(parked.body == Array("not json".utf8))
        #expect(parked.properties.headers["x-producer"]?.stringValue == "tests")
        guard case .array(let deaths)? = parked.properties.headers["x-death"], case .table(let death)? = deaths.first else {
            Issue.record("x-death header missing: \(parked.properties.headers)")
            return
        }
        #expect(death["reason"]?.stringValue == "rejected")
        #expect(death["queue"]?.stringValue == work)
        try await connection.ack(parked)
        try await connection.deleteQueue(work)
        try await connection.deleteQueue(dead)
        await connection.close()
    }

    @Test("publishing to a missing exchange surfaces 404 NOT_FOUND and the connection stays usable")
    func publishToMissingExchangeFails() async throws {
        let connection = try await connect()
        let missing = uniqueName("missing")
        let error = await #expect(throws: AMQPError.self) {
            try await connection.publish(message(missing, "any.key", id: "x", body: "{}"))
        }
        #expect(error?.code == .channelClosed)
        #expect(error?.replyCode == 404)
        #expect(error?.replyText?.contains("NOT_FOUND") == true)
        #expect(error?.replyText?.contains(missing) == true)

        // The channel is reopened on the next call, confirms still on.
        let queue = uniqueName("after-404")
        try await connection.declareQueue(queue)
        #expect(try await connection.publish(message("", queue, id: "y", body: "{}")) == .confirmed)
        #expect(try await connection.inspectQueue(queue).messageCount == 1)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("a mandatory message that no queue takes is returned, others in the batch confirmed")
    func unroutableMandatoryMessageIsReturned() async throws {
        let connection = try await connect()
        let exchange = uniqueName("routes")
        let queue = uniqueName("routed")
        try await connection.declareExchange(exchange, type: .direct, autoDelete: true)
        try await connection.declareQueue(queue)
        try await connection.bindQueue(queue, exchange: exchange, routingKey: "known")
        let outcomes = try await connection.publish([
            message(exchange, "known", id: "a", body: "{}", mandatory: true),
            message(exchange, "unknown", id: "b", body: "{}", mandatory: true),
            message(exchange, "known", id: "c", body: "{}", mandatory: true),
        ])
        #expect(outcomes[0] == .confirmed)
        #expect(outcomes[1] == .returned(replyCode: 312, replyText: "NO_ROUTE"))
        #expect(outcomes[2] == .confirmed)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("a zero-timeout poll returns deliveries that have arrived")
    func zeroTimeoutPollReadsArrivedDeliveries() async throws {
        let connection = try await connect()
        let queue = uniqueName("poll")
        try await connection.declareQueue(queue)
        try await connection.consume(queue: queue)
        #expect(try await connection.nextDeliveries(timeout: .zero).isEmpty)
        #expect(try await connection.publish(message("", queue, id: "polled", body: "{}")) == .confirmed)
        // Zero-timeout polls, repeated until the broker has sent it (state, not a guess at how long that takes).
        var polled: [AMQPDelivery] = []
        try await waitUntil("the message to arrive") {
            polled = try await connection.nextDeliveries(timeout: .zero)
            return !polled.isEmpty
        }
        #expect(polled.map(\.properties.messageId) == ["polled"])
        if let delivery = polled.first { try await connection.ack(delivery) }
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("properties and nested header tables round-trip through the broker")
    func propertiesRoundTrip() async throws {
        let connection = try await connect()
        let queue = uniqueName("props")
        try await connection.declareQueue(queue)
        let timestamp = Date(timeIntervalSince1970: 1_790_000_000)
        let headers: AMQPTable = [
            "causation-id": .string("3f1c0a4e-0000-4000-8000-000000000001"),
            "schema-version": .int32(1),
            "attempt": .int64(3),
            "flag": .bool(true),
            "ratio": .double(0.25),
            "raw": .bytes([0, 1, 2, 255]),
            "at": .timestamp(timestamp),
            "nested": .table(["list": .array([.string("a"), .int64(2), .void])]),
        ]
        let outgoing = AMQPOutgoingMessage(
            exchange: "", routingKey: queue, body: Array("héllo".utf8),
            properties: AMQPProperties(
                contentType: "application/json", contentEncoding: "utf-8", headers: headers, persistent: true,
                priority: 3, correlationId: "delivery-1", replyTo: "nobody", expiration: "600000", messageId: "event-1",
                timestamp: timestamp, type: "package.created", userId: "someone-else", appId: "tests"))
        #expect(try await connection.publish(outgoing) == .confirmed)
        try await connection.consume(queue: queue)
        let delivery = try #require(try await connection.nextDelivery(timeout: .seconds(5)))
        try await connection.ack(delivery)
        #expect(delivery.body == outgoing.body)
        // Every property round-trips, except user_id: the connection stamps its login user
        // (RabbitMQ would refuse any other), so consumers know who published.
        var expected = outgoing.properties
        expected.userId = connection.configuration.user
        #expect(delivery.properties == expected)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("quorum queues with a delivery limit, and TTL dead-lettering as a delay queue")
    func quorumAndTTLQueues() async throws {
        let connection = try await connect()
        let work = uniqueName("quorum")
        let delay = uniqueName("delay")
        try await connection.declareQueue(work, options: AMQPQueueOptions(kind: .quorum, deliveryLimit: 5))
        // A delay queue: no consumers, messages expire after 300 ms back into the work queue.
        try await connection.declareQueue(delay, options: AMQPQueueOptions(
            deadLetterExchange: "", deadLetterRoutingKey: work, messageTTLMilliseconds: 300))
        let started = ContinuousClock.now
        #expect(try await connection.publish(message("", delay, id: "later", body: "{}")) == .confirmed)
        try await connection.consume(queue: work)
        let delivery = try #require(try await connection.nextDelivery(timeout: .seconds(10)))
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        #expect(delivery.properties.messageId == "later")
        try await connection.ack(delivery)
        // Redeclaring with different arguments is refused (406) rather than silently accepted.
        let error = await #expect(throws: AMQPError.self) {
            try await connection.declareQueue(work, options: AMQPQueueOptions(kind: .classic))
        }
        #expect(error?.replyCode == 406)
        try await connection.deleteQueue(work)
        try await connection.deleteQueue(delay)
        await connection.close()
    }

    @Test("consumers and prefetch are restored after the channel closes and after a reconnect")
    func consumersSurviveChannelAndConnectionLoss() async throws {
        let connection = try await connect()
        let queue = uniqueName("recover")
        try await connection.declareQueue(queue)
        try await connection.setPrefetch(10)
        try await connection.consume(queue: queue)

        // A channel error (404 on a passive declare) closes the channel...
        let error = await #expect(throws: AMQPError.self) { try await connection.inspectQueue(uniqueName("nope")) }
        #expect(error?.code == .channelClosed)
        #expect(error?.replyCode == 404)
        // ...and the next call reopens it with the consumer re-registered.
        #expect(try await connection.publish(message("", queue, id: "after-channel", body: "{}")) == .confirmed)
        let first = try #require(try await connection.nextDelivery(timeout: .seconds(5)))
        #expect(first.properties.messageId == "after-channel")
        try await connection.ack(first)

        // A delivery from before a reconnect cannot be acked on the new connection.
        #expect(try await connection.publish(message("", queue, id: "before-reconnect", body: "{}")) == .confirmed)
        let stale = try #require(try await connection.nextDelivery(timeout: .seconds(5)))
        await connection.close()
        #expect(await connection.isOpen == false)
        try await connection.reconnect()
        let staleAck = await #expect(throws: AMQPError.self) { try await connection.ack(stale) }
        #expect(staleAck?.code == .channelClosed)
        let redelivered = try #require(try await connection.nextDelivery(timeout: .seconds(5)))
        #expect(redelivered.properties.messageId == "before-reconnect")
        #expect(redelivered.redelivered)
        try await connection.ack(redelivered)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test("connection failures are reported with the reason, never the password")
    func connectionFailures() async throws {
        let good = try AMQPConfiguration(url: TestServers.amqpURL())
        var closedPort = good
        closedPort.port = 1
        let refused = await #expect(throws: AMQPError.self) { try await AMQPConnection.connect(closedPort) }
        #expect(refused?.code == .connectionFailed)

        var wrongPassword = good
        wrongPassword.password = "definitely-wrong-secret"
        let denied = await #expect(throws: AMQPError.self) { try await AMQPConnection.connect(wrongPassword) }
        #expect(denied?.code == .connectionFailed)
        #expect(denied.map { "\($0)" }?.contains("definitely-wrong-secret") == false)
        #expect(denied.map { "\(String(reflecting: $0))" }?.contains("definitely-wrong-secret") == false)

        let closed = try await connect()
        await closed.close()
        let notConnected = await #expect(throws: AMQPError.self) { try await closed.declareQueue(uniqueName("x")) }
        #expect(notConnected?.code == .notConnected)
    }
}
