package import AMQP
package import Contracts
package import Foundation
package import Logging
package import Postgres

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

    /// Publishes rows with confirms; returns the ids of the rows the broker confirmed.
    func publish(_ rows: [OutboxRow]) async throws -> [Int64] {
        guard !rows.isEmpty else { return [] }
        let outcomes = try await broker.publish(rows.map { Self.message($0.event, exchange: exchange) })
        return zip(rows, outcomes).compactMap { row, outcome in outcome == .confirmed ? row.id : nil }
    }

    /// The fast path for rows that just committed: claims them (`FOR UPDATE SKIP LOCKED`, in a
    /// transaction held while the broker confirms), publishes the claimed ones and deletes the
    /// confirmed ones. A row the relay holds is left to the relay, and the relay skips the rows
    /// held here, so the two never both publish a row. Failures leave rows to the relay.
    func publishCommitted(_ rows: [OutboxRow], on connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        try await connection.transaction { db in try await self.claimAndPublish(rows, db) }
    }

    /// `publishCommitted(_:on:)`, leaving the rows to the outbox relay when it fails (logged).
    /// Returns whether the database connection itself failed, so the caller can restore it.
    func publishCommittedOrLeaveToRelay(_ rows: [OutboxRow], on connection: PostgresConnection, logger: Logger) async -> Bool {
        await leavingToRelayOnFailure(rows, logger) { try await publishCommitted(rows, on: connection) }
    }

    /// `publishCommitted(_:on:)` on a pooled connection, leaving the rows to the relay when it fails.
    package func publishCommittedOrLeaveToRelay(_ rows: [OutboxRow], on pool: PostgresConnectionPool, logger: Logger) async {
        _ = await leavingToRelayOnFailure(rows, logger) { try await publishCommitted(rows, on: pool) }
    }

    private func leavingToRelayOnFailure(_ rows: [OutboxRow], _ logger: Logger, _ publish: () async throws -> Void) async -> Bool {
        guard !rows.isEmpty else { return false }
        do {
            try await publish()
            return false
        } catch {
            logger.info("publishing committed events failed; the outbox relay will publish them", metadata: ["error.message": "\(error)"])
            return (error as? PostgresError)?.isConnectionProblem == true
        }
    }

    /// `publishCommitted(_:on:)` on a pooled connection.
    func publishCommitted(_ rows: [OutboxRow], on pool: PostgresConnectionPool) async throws {
        guard !rows.isEmpty else { return }
        try await pool.withTransaction { db in try await self.claimAndPublish(rows, db) }
    }

    private func claimAndPublish(_ rows: [OutboxRow], _ db: isolated PostgresConnection) async throws {
        // The deletion need not wait for the disk: if a crash loses it, the relay publishes the
        // rows again and the consumers' inboxes absorb the duplicates.
        try RuntimeTables.commitWithoutWaitingForDisk(db)
        let claimed = try RuntimeTables.claim(rows.map(\.id), db)
        let confirmed = try await publish(rows.filter { claimed.contains($0.id) })
        try RuntimeTables.deleteFromOutbox(confirmed, db)
    }

    /// The AMQP message for an emitted event, `mandatory`, with the system's properties and headers.
    static func message(_ event: OutboxEvent, exchange: String) -> AMQPOutgoingMessage {
        var headers: AMQPTable = [
            EventExchange.Header.producer: .string(event.producer),
            EventExchange.Header.schemaVersion: .int32(Int32(event.schemaVersion)),
            EventExchange.Header.traceparent: .string(Self.traceparent(deliveryId: event.deliveryId, eventId: event.eventId)),
        ]
        if let causationId = event.causationId {
            headers[EventExchange.Header.causationId] = .string(causationId.uuidString.lowercased())
        }
        return AMQPOutgoingMessage(
            exchange: exchange, routingKey: event.type, body: Array(event.body.utf8),
            properties: AMQPProperties(
                contentType: JSONMediaType.name, headers: headers, persistent: true,
                correlationId: event.deliveryId.uuidString.lowercased(), messageId: event.eventId.uuidString.lowercased(),
                timestamp: Date(), type: event.type, appId: event.producer),
            // Returned when no queue is bound to the type: the row stays in the outbox (only
            // confirmed rows are deleted) and the relay tries again, instead of a silent loss.
            mandatory: true)
    }

    /// A W3C traceparent whose trace id is the delivery id (one trace per saga) and whose span id
    /// comes from the event id.
    static func traceparent(deliveryId: UUID, eventId: UUID) -> String {
        let trace = deliveryId.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let span = eventId.uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
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
