package import AMQP
package import Contracts
package import Foundation
package import Logging
import Postgres
import Tracing
import UUIDText

/// The runtime's publishing connection: publishes with confirms and, when the connection was
/// lost, reconnects (with backoff) and tries once more. Duplicates that this can cause are
/// absorbed by the consumers' inboxes.
struct BrokerPublisher: Sendable {
    let connection: AMQPConnection
    let reconnectPolicy: AMQPReconnectPolicy

    /// Publishes and waits for every confirm.
    func publish(_ messages: [AMQPOutgoingMessage]) async throws -> [AMQPPublishOutcome] {
        guard !messages.isEmpty else { return [] }
        do {
            try await reconnectIfClosed()
            return try await connection.publish(messages)
        } catch let error as AMQPError where error.code.closesConnection {
            try await connection.reconnect(policy: reconnectPolicy)
            return try await connection.publish(messages)
        }
    }

    /// Publishes and throws unless every message was confirmed.
    func publishConfirmed(_ messages: [AMQPOutgoingMessage]) async throws {
        let outcomes = try await publish(messages)
        if let bad = outcomes.first(where: { $0 != .confirmed }) {
            throw AMQPError(.protocolError, context: "publishing \(messages.count) messages: broker answered \(bad)")
        }
    }

    /// Services heartbeats on an idle publishing connection (rabbitmq-c only sends them when
    /// called), so the broker does not drop it between bursts. Failures surface on the next publish.
    func keepAlive() async {
        guard await connection.isOpen else { return }
        try? await connection.poll()
    }

    private func reconnectIfClosed() async throws {
        if await !connection.isOpen { try await connection.reconnect(policy: reconnectPolicy) }
    }
}

/// Turns committed outbox rows into AMQP messages with the system's properties and headers, and
/// publishes them.
package struct OutboxPublisher: Sendable {
    let broker: BrokerPublisher
    let exchange: String
    /// A producer span per published row (child of the span that emitted it), its context in the headers.
    var tracer: RuntimeTracer = .off
    /// Deletes what the fast paths published.
    let sweeper: OutboxSweeper

    /// Publishes rows with confirms; returns the ids of the rows the broker confirmed.
    func publish(_ rows: [OutboxRow]) async throws -> [Int64] {
        guard !rows.isEmpty else { return [] }
        var messages = rows.map { Self.message($0.event, exchange: exchange) }
        var spans: [(any Span)?] = []
        if tracer.tracer != nil {
            spans = messages.indices.map { tracer.startPublishing(rows[$0].event, &messages[$0]) }
        }
        let outcomes: [AMQPPublishOutcome]
        do {
            outcomes = try await broker.publish(messages)
        } catch {
            for span in spans { tracer.endPublishing(span, outcome: nil, error: error) }
            throw error
        }
        for (span, outcome) in zip(spans, outcomes) { tracer.endPublishing(span, outcome: outcome) }
        return zip(rows, outcomes).compactMap { row, outcome in outcome == .confirmed ? row.id : nil }
    }

    /// The fast path for rows that just committed: publishes them (no database transaction) and
    /// hands the confirmed ones to the sweeper, which deletes them (see ``OutboxSweeper``).
    /// Failures leave rows to the relay.
    func publishCommitted(_ rows: [OutboxRow]) async throws {
        guard !rows.isEmpty else { return }
        sweeper.confirmed(try await publish(rows))
    }

    /// `publishCommitted(_:)`, leaving the rows to the outbox relay when it fails (logged).
    package func publishCommittedOrLeaveToRelay(_ rows: [OutboxRow], logger: Logger) async {
        guard !rows.isEmpty else { return }
        do {
            try await publishCommitted(rows)
        } catch {
            logger.info("publishing committed events failed; the outbox relay will publish them", metadata: ["error.message": "\(error)"])
        }
    }

    /// The AMQP message for an emitted event, `mandatory`, with the system's properties and headers.
    static func message(_ event: OutboxEvent, exchange: String) -> AMQPOutgoingMessage {
        var headers: AMQPTable = [
            EventExchange.Header.producer: .string(event.producer),
            EventExchange.Header.schemaVersion: .int32(Int32(event.schemaVersion)),
            EventExchange.Header.traceparent: .string(Self.traceparent(deliveryId: event.deliveryId, eventId: event.eventId)),
        ]
        if let causationId = event.causationId {
            headers[EventExchange.Header.causationId] = .string(causationId.lowercaseText)
        }
        return AMQPOutgoingMessage(
            exchange: exchange, routingKey: event.type, body: Array(event.body.utf8),
            properties: AMQPProperties(
                contentType: JSONMediaType.name, headers: headers, persistent: true,
                correlationId: event.deliveryId.lowercaseText, messageId: event.eventId.lowercaseText,
                timestamp: Date(), type: event.type, appId: event.producer),
            // Returned when no queue is bound to the type: the row stays in the outbox (only
            // confirmed rows are deleted) and the relay tries again, instead of a silent loss.
            mandatory: true)
    }

    /// The `traceparent` a message carries when tracing is off (the contract requires one): its
    /// trace id is the delivery id and its span id comes from the event id. With tracing on, the
    /// publishing span's context replaces it (``RuntimeTracer/startPublishing(_:_:)``).
    static func traceparent(deliveryId: UUID, eventId: UUID) -> String {
        let trace = UUIDText.string(deliveryId, uppercase: false, grouped: false)
        let span = UUIDText.string(eventId, uppercase: false, grouped: false).prefix(16)
        return "00-\(trace)-\(span)-01"
    }
}

/// Builds the AMQP message for an event exactly as a service publishes it, for tests and tools
/// that inject events.
package enum EventMessage {
    /// The message for `event` as the given delivery's event `id`.
    package static func make<Event: DomainEvent>(
        _ event: Event, id: UUID = .random(), deliveryId: UUID, causationId: UUID? = nil, exchange: String,
        occurredAt: Date = Date()
    ) throws -> AMQPOutgoingMessage {
        let body = try EventCodec.encode(event, id: id, deliveryId: deliveryId, causationId: causationId, occurredAt: occurredAt)
        let emitted = OutboxEvent(
            eventId: id, type: Event.eventType.rawValue, producer: Event.producer.rawValue, schemaVersion: Event.schemaVersion,
            deliveryId: deliveryId, causationId: causationId, body: body)
        return OutboxPublisher.message(emitted, exchange: exchange)
    }
}
