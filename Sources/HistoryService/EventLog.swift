import Choreography
import Contracts
import Foundation
import Postgres

/// The history service's writes: appends an event to `events` and recomputes its delivery's
/// row of `delivery_status` from all of the delivery's logged events.
enum EventLog {
    /// Logs `event` (once; a repeated event id changes nothing) and refreshes its delivery's status.
    /// The delivery's status row is locked first, so events of one delivery handled at once on
    /// two connections are logged and projected one after the other, each seeing the other's.
    static func record(_ event: ReceivedEvent, _ db: isolated PostgresConnection) throws -> DeliveryStatus? {
        let envelope = event.envelope
        // Creates the row or, when it exists, locks it (DO UPDATE takes the row lock): one statement.
        _ = try db.execute("""
            INSERT INTO delivery_status (delivery_id, stage, saga_state, last_event_type, updated_at)
            VALUES ($1, 'Created', 'inFlight', $2, $3)
            ON CONFLICT (delivery_id) DO UPDATE SET delivery_id = delivery_status.delivery_id
            """, [.uuid(envelope.deliveryId), .text(envelope.type.rawValue), .timestamp(envelope.occurredAt)])
        let inserted = try db.execute("""
            INSERT INTO events (event_id, delivery_id, event_type, schema_version, producer, causation_id, occurred_at, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING
            """, [
                .uuid(envelope.id), .uuid(envelope.deliveryId), .text(envelope.type.rawValue), .int(envelope.version),
                .text(envelope.producer.rawValue), .uuid(envelope.causationId), .timestamp(envelope.occurredAt),
                .jsonb(utf8: envelope.serialized()),
            ])
        guard inserted > 0 else { return nil }
        let logged = try loggedEvents(of: envelope.deliveryId, db)
        guard let status = DeliveryStatusProjection.project(logged) else { return nil }
        // Its result is not needed: it travels with the runtime's inbox statement and COMMIT.
        try db.executeDeferred("""
            UPDATE delivery_status SET stage = $2, saga_state = $3, owner_id = $4, drone_id = $5, package_id = $6,
                pickup_eta = $7, dropoff_eta = $8, reason_code = $9, reason_message = $10, last_event_type = $11,
                updated_at = $12
            WHERE delivery_id = $1
            """, [
                .uuid(status.deliveryId), .text(status.stage.rawValue), .text(status.sagaState.rawValue),
                .text(status.ownerId), .text(status.droneId), .uuid(status.packageId), .timestamp(status.pickupEta),
                .timestamp(status.dropoffEta), .text(status.reason?.code), .text(status.reason?.message),
                .text(status.lastEventType), .timestamp(status.updatedAt),
            ])
        return status
    }

    /// Every logged event of a delivery, as envelopes, in the projection's order.
    static func loggedEvents(of deliveryId: UUID, _ db: isolated PostgresConnection) throws -> [AnyEventEnvelope] {
        let rows = try db.query(
            "SELECT body::text AS body FROM events WHERE delivery_id = $1 ORDER BY occurred_at, event_id", [.uuid(deliveryId)])
        // Logged bodies were validated when they arrived: parse and decode them, nothing more.
        let decoder = JSONValueDecoder()
        return try rows.map { row in
            try decoder.decode(AnyEventEnvelope.self, from: JSONValue(parsing: try row.decode(String.self, column: "body")))
        }
    }
}
