import Choreography
import Contracts
import Foundation
import Postgres

/// The history service's writes: appends an event to `events` and folds it into its delivery's
/// row of `delivery_status` (the stored ``DeliveryStatusSummary`` joined with the event's
/// contribution), without reading the delivery's other events.
enum EventLog {
    /// Logs `event` (once; a repeated event id changes nothing) and refreshes its delivery's
    /// status; returns the new status, or nil when the event was already logged.
    ///
    /// One round trip: a statement that locks or creates the status row (returning its summary)
    /// and then logs the event; the row's update travels with the transaction's next statement
    /// or its COMMIT. Events of one delivery handled at once on two connections therefore wait
    /// for each other at the status row, and each folds into the summary the other committed.
    static func record(_ event: ReceivedEvent, _ db: isolated PostgresConnection) throws -> DeliveryStatus? {
        let envelope = event.envelope
        let rows = try db.query(lockStatusAndLog, [
            .uuid(envelope.deliveryId), .text(envelope.type.rawValue), .timestamp(envelope.occurredAt), .uuid(envelope.id),
            .int(envelope.version), .text(envelope.producer.rawValue), .uuid(envelope.causationId),
            .jsonb(utf8: envelope.serialized()),
        ])
        guard let row = rows.first, try row.decode(Bool.self, column: "logged") else { return nil }
        let before: DeliveryStatusSummary
        if let stored = try row.decode([UInt8]?.self, column: "summary") {
            before = try DeliveryStatusSummary(stored: JSONValue(parsing: stored))
        } else {
            // A row written before summaries were stored (migration 2): fold its log once.
            before = DeliveryStatusSummary(folding: try loggedEvents(of: envelope.deliveryId, db))
        }
        let summary = before.merging(DeliveryStatusSummary(envelope))
        guard let status = summary.status(deliveryId: envelope.deliveryId) else { return nil }
        // Its result is not needed: it travels with the runtime's inbox statement and COMMIT.
        try db.executeDeferred(updateStatus, [
            .uuid(status.deliveryId), .text(status.stage.rawValue), .text(status.sagaState.rawValue),
            .text(status.ownerId), .text(status.droneId), .uuid(status.packageId), .timestamp(status.pickupEta),
            .timestamp(status.dropoffEta), .text(status.reason?.code), .text(status.reason?.message),
            .text(status.lastEventType), .timestamp(status.updatedAt),
            .json(String(decoding: summary.stored.serialized(), as: UTF8.self)),
        ])
        return status
    }

    /// Locks the delivery's status row, or creates it when there is none, and returns its
    /// summary (NULL for a row from before migration 2); then logs the event: `logged` says
    /// whether it was new. A lock writes no row version, unlike an update. Two first events of a
    /// delivery at once both find no row: one creates it, the other waits for that to commit and
    /// then takes the row (DO UPDATE locks it and returns the committed summary). The event's
    /// insert reads the status row, so the lock always comes first.
    private static let lockStatusAndLog = """
        WITH locked AS (
            SELECT summary FROM delivery_status WHERE delivery_id = $1 FOR UPDATE
        ), created AS (
            INSERT INTO delivery_status (delivery_id, stage, saga_state, last_event_type, updated_at, summary)
            SELECT $1, 'Created', 'inFlight', $2, $3, '{}'::json WHERE NOT EXISTS (SELECT FROM locked)
            ON CONFLICT (delivery_id) DO UPDATE SET delivery_id = delivery_status.delivery_id
            RETURNING summary
        ), status AS (
            SELECT summary FROM locked UNION ALL SELECT summary FROM created
        ), logged AS (
            INSERT INTO events (event_id, delivery_id, event_type, schema_version, producer, causation_id, occurred_at, body)
            SELECT $4, $1, $2, $5, $6, $7, $3, $8 FROM status
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
        )
        SELECT (SELECT summary::text FROM status) AS summary, EXISTS (SELECT FROM logged) AS logged
        """

    /// Writes the status and the summary it was read from.
    private static let updateStatus = """
        UPDATE delivery_status SET stage = $2, saga_state = $3, owner_id = $4, drone_id = $5, package_id = $6,
            pickup_eta = $7, dropoff_eta = $8, reason_code = $9, reason_message = $10, last_event_type = $11,
            updated_at = $12, summary = $13
        WHERE delivery_id = $1
        """

    /// Every logged event of a delivery, as envelopes.
    static func loggedEvents(of deliveryId: UUID, _ db: isolated PostgresConnection) throws -> [AnyEventEnvelope] {
        let rows = try db.query("SELECT body::text AS body FROM events WHERE delivery_id = $1", [.uuid(deliveryId)])
        // Logged bodies were validated when they arrived: parse and decode them, nothing more.
        let decoder = JSONValueDecoder()
        return try rows.map { row in
            try decoder.decode(AnyEventEnvelope.self, from: JSONValue(parsing: try row.decode(String.self, column: "body")))
        }
    }
}
