import AMQP
import Foundation

/// One message waiting in a service's parking queue, with why it was parked.
public struct ParkedMessage: Sendable, Hashable {
    /// The event id (AMQP `message_id`), if the message had one.
    public var messageId: String?
    /// The event type (AMQP `type`), if the message had one.
    public var type: String?
    /// The delivery id (AMQP `correlation_id`), if the message had one.
    public var deliveryId: String?
    /// The stable reason code, e.g. `retries-exhausted`, `not-json`, `schema-violation`.
    public var reason: String
    /// The last error, human-readable.
    public var lastError: String?
    /// How many times a handler tried it.
    public var attempts: Int
    /// When it was parked (RFC 3339), as written in its headers.
    public var parkedAt: String?
    /// The queue replay sends it back to.
    public var originalQueue: String?
    /// The body as it arrived.
    public var body: [UInt8]

    init(_ delivery: AMQPDelivery) {
        let headers = delivery.properties.headers
        messageId = delivery.properties.messageId
        type = delivery.properties.type
        deliveryId = delivery.properties.correlationId
        reason = headers[MessageHeaders.parkedReason]?.stringValue ?? "unknown"
        lastError = headers[MessageHeaders.lastError]?.stringValue
        attempts = Int(headers[MessageHeaders.attempt]?.intValue ?? 0)
        parkedAt = headers[MessageHeaders.parkedAt]?.stringValue
        originalQueue = headers[MessageHeaders.originalQueue]?.stringValue
        body = delivery.body
    }
}

/// Lists and replays the messages in a service's parking queue.
///
/// Listing leaves every message in place (they are taken unacknowledged and returned when the
/// connection closes). Replay sends chosen messages back to the queue they came from with their
/// attempt count reset, confirmed before the parked copy is acknowledged, so a crash midway
/// duplicates at worst (absorbed by the consumer's inbox) and never loses one.
public struct ParkedMessages: Sendable {
    /// The broker URL.
    public var amqpURL: String
    /// The parking queue, e.g. `package.parked`.
    public var parkedQueue: String
    /// Where a message goes back to when it does not say.
    public var defaultQueue: String

    /// Points at one service's parking queue.
    public init(amqpURL: String, topology: ServiceTopology) {
        self.amqpURL = amqpURL
        self.parkedQueue = topology.parkedQueue
        self.defaultQueue = topology.workQueue
    }

    /// Points at the parking queue of the service whose queues are named `service` (its queue
    /// prefix and name, e.g. `package`): what `saga-admin parked` and the saga explorer replay through.
    public init(amqpURL: String, service: String) {
        self.init(amqpURL: amqpURL, topology: ServiceTopology(exchange: "", service: service, bindings: [], retryPolicy: RetryPolicy()))
    }

    /// Every parked message (up to `limit`), oldest first, leaving them parked.
    public func list(limit: Int = 1_000) async throws -> [ParkedMessage] {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        let deliveries = try await take(from: connection, limit: limit)
        await connection.close()  // returns them all to the queue
        return deliveries.map(ParkedMessage.init)
    }

    /// Sends parked messages back for another try: those whose event id is in `messageIds`, or all
    /// when it is nil. Returns the ids replayed.
    @discardableResult
    public func replay(messageIds: Set<String>? = nil, limit: Int = 10_000) async throws -> [String] {
        let connection = try await AMQPConnection.connect(url: amqpURL)
        let deliveries = try await take(from: connection, limit: limit)
        var replayed: [String] = []
        for delivery in deliveries {
            let id = delivery.properties.messageId ?? ""
            guard messageIds?.contains(id) ?? true else { continue }
            var properties = delivery.properties
            let target = properties.headers[MessageHeaders.originalQueue]?.stringValue ?? defaultQueue
            for header in [MessageHeaders.attempt, MessageHeaders.parkedReason, MessageHeaders.parkedAt, MessageHeaders.lastError, "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"] {
                properties.headers[header] = nil
            }
            let outcome = try await connection.publish(AMQPOutgoingMessage(
                exchange: "", routingKey: target, body: delivery.body, properties: properties, mandatory: true))
            // A missing target queue returns the message (mandatory): it stays parked.
            guard outcome == .confirmed else {
                throw AMQPError(.protocolError, context: "replaying parked message \(id) to \(target): \(outcome)")
            }
            try await connection.ack(delivery)
            replayed.append(id)
        }
        await connection.close()  // messages not chosen return to the parking queue
        return replayed
    }

    /// Takes (without acknowledging) every message the queue holds now, up to `limit`.
    private func take(from connection: AMQPConnection, limit: Int) async throws -> [AMQPDelivery] {
        let waiting = Int(try await connection.inspectQueue(parkedQueue).messageCount)
        let wanted = min(waiting, limit)
        guard wanted > 0 else { return [] }
        try await connection.setPrefetch(UInt16(min(wanted, Int(UInt16.max))))
        try await connection.consume(queue: parkedQueue)
        var deliveries: [AMQPDelivery] = []
        while deliveries.count < wanted {
            let batch = try await connection.nextDeliveries(maximum: wanted - deliveries.count, timeout: .seconds(2))
            if batch.isEmpty { break }
            deliveries += batch
        }
        return deliveries
    }
}
