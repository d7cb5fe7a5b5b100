package import AMQP
import Choreography
package import Foundation

/// Stands between the services and their queues. In interposed mode the services publish to the
/// system's exchange, where only the interposer's tap queue is bound, and their work queues are
/// bound to an exchange nobody publishes to: every event reaches a consumer only when a schedule
/// delivers it, in the order, number of copies and moment the schedule chooses.
package actor Interposer {
    private let tapQueue: String
    private let exchange: String
    private let amqpURL: String
    private let queuePrefix: String
    /// Tapped messages per delivery, not yet taken by the schedule that runs it.
    private var tapped: [UUID: [AMQPDelivery]] = [:]
    /// Barrier markers that came through the tap.
    private var barriersSeen: Set<String> = []
    private var publisher: AMQPConnection?

    /// The routing key of barrier markers (no service consumes it).
    static let barrierKey = "harness.barrier"

    /// The harness's broker user (from `amqpURL`): the relayer its deliveries come from.
    private let harnessUser: String

    /// An interposer for a system whose services publish to `exchange`, tapped by `tapQueue`.
    package init(amqpURL: String, exchange: String, tapQueue: String, queuePrefix: String) {
        self.amqpURL = amqpURL
        harnessUser = (try? AMQPConfiguration(url: amqpURL).user) ?? ""
        self.exchange = exchange
        self.tapQueue = tapQueue
        self.queuePrefix = queuePrefix
    }

    /// Reads the tap until the task is cancelled, filing each message under its delivery.
    package func tap() async throws {
        let consumer = try await AMQPConnection.connect(url: amqpURL)
        try await consumer.setPrefetch(512)
        try await consumer.consume(queue: tapQueue)
        while !Task.isCancelled {
            let batch: [AMQPDelivery]
            do {
                batch = try await consumer.nextDeliveries(maximum: 512, timeout: .milliseconds(50))
            } catch let error as AMQPError where error.code.closesConnection {
                try await consumer.reconnect()
                continue
            }
            for message in batch {
                if message.routingKey == Self.barrierKey {
                    barriersSeen.insert(message.properties.messageId ?? "")
                } else if let id = message.properties.correlationId.flatMap(UUID.init(uuidString:)) {
                    tapped[id, default: []].append(message)
                }
            }
            if let last = batch.last { try await consumer.ack(last, multiple: true) }
        }
        await consumer.close()
    }

    /// The messages tapped for `deliveryId` since the last call.
    package func take(for deliveryId: UUID) -> [AMQPDelivery] {
        tapped.removeValue(forKey: deliveryId) ?? []
    }

    /// Returns once every message published (and confirmed) before the call has been tapped: a
    /// marker goes through the same queue, which is first in, first out.
    package func barrier(timeout: Duration = .seconds(30)) async throws {
        let id = UUID().uuidString
        try await publish(AMQPOutgoingMessage(
            exchange: exchange, routingKey: Self.barrierKey, body: [], properties: AMQPProperties(messageId: id), mandatory: true))
        let deadline = ContinuousClock.now + timeout
        while !barriersSeen.contains(id) {
            guard ContinuousClock.now < deadline else { throw ScheduleHarnessError("the tap did not see a barrier within \(timeout)") }
            try await Task.sleep(for: .milliseconds(2))
        }
        barriersSeen.remove(id)
    }

    /// Delivers a tapped message to one consuming service's work queue, as the broker would
    /// have routed it (the routing key it was published with travels in the runtime's header).
    package func deliver(_ message: AMQPDelivery, to service: String) async throws {
        // Relayed as the harness's broker user, naming the publisher the broker vouched for (the
        // services believe the harness's user as a relayer: it is theirs, or in BROKER_RELAYERS).
        var properties = PublisherIdentity.relaying(message.properties, relayers: [harnessUser])
        properties.headers[MessageHeaders.originalRoutingKey] = .string(message.routingKey)
        try await publish(AMQPOutgoingMessage(
            exchange: "", routingKey: "\(queuePrefix)\(service).events", body: message.body, properties: properties, mandatory: true))
    }

    private func publish(_ message: AMQPOutgoingMessage) async throws {
        if publisher == nil { publisher = try await AMQPConnection.connect(url: amqpURL) }
        guard let publisher else { return }
        let outcome: AMQPPublishOutcome
        do {
            outcome = try await publisher.publish(message)
        } catch let error as AMQPError where error.code.closesConnection {
            try await publisher.reconnect()
            outcome = try await publisher.publish(message)
        }
        guard outcome == .confirmed else { throw ScheduleHarnessError("publishing to \(message.routingKey): \(outcome)") }
    }

    /// Closes the publishing connection.
    package func close() async {
        await publisher?.close()
        publisher = nil
    }
}

/// A failure of the harness itself (not a broken invariant), with the reason.
package struct ScheduleHarnessError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
