import Choreography
import Contracts
import Foundation
import Postgres

/// The history service's writes: appends events to `events` and folds each into its delivery's
/// row of `delivery_status` (the stored ``DeliveryStatusSummary`` joined with the events'
/// contributions), without reading the delivery's other events.
enum EventLog {
    /// Logs `events` (each once; a repeated event id changes nothing) and refreshes their
    /// deliveries' statuses; returns the new status of each delivery that had an event logged.
    /// One event or a whole transaction's: the work is the same, in two statements.
    ///
    /// One round trip: a statement that locks or creates every status row of the batch in
    /// delivery-id order (returning their summaries) and then logs the events; the rows' update
    /// travels with the transaction's next statement or its COMMIT. Events of one delivery
    /// handled at once on two connections therefore wait for each other at the status row, and
    /// each folds into the summary the other committed.
    static func record(_ events: [ReceivedEvent], _ db: isolated PostgresConnection) throws -> [DeliveryStatus] {
        let envelopes = events.map(\.envelope)
        let rows = try db.query(lockStatusesAndLog, [
            .array(envelopes.map { .uuid($0.id) }), .array(envelopes.map { .uuid($0.deliveryId) }),
            .array(envelopes.map { .text($0.type.rawValue) }), .array(envelopes.map { .timestamp($0.occurredAt) }),
            .array(envelopes.map { .int32(Int32(clamping: $0.version)) }), .array(envelopes.map { .text($0.producer.rawValue) }),
            .array(envelopes.map { .uuid($0.causationId) }), .array(envelopes.map { .jsonb(utf8: $0.serialized()) }),
        ])
        var stored: [UUID: [UInt8]?] = [:]
        var logged: Set<UUID> = []
        for row in rows {
            if let eventId = try row.decode(UUID?.self, column: "event_id") {
                logged.insert(eventId)
            } else {
                stored[try row.decode(UUID.self, column: "delivery_id")] = try row.decode([UInt8]?.self, column: "summary")
            }
        }
        var statuses: [(DeliveryStatus, DeliveryStatusSummary)] = []
        for (deliveryId, new) in newEventsByDelivery(envelopes, logged: logged) {
            guard let storedSummary = stored[deliveryId] else { continue }
            let before: DeliveryStatusSummary
            if let storedSummary {
                before = try DeliveryStatusSummary(stored: JSONValue(parsing: storedSummary))
            } else {
                // A row written before summaries were stored (migration 2): fold its log once.
                before = DeliveryStatusSummary(folding: try loggedEvents(of: deliveryId, db))
            }
            let summary = new.reduce(before) { $0.merging(DeliveryStatusSummary($1)) }
            if let status = summary.status(deliveryId: deliveryId) { statuses.append((status, summary)) }
        }
        guard !statuses.isEmpty else { return [] }
        // Its result is not needed: it travels with the runtime's inbox statement and COMMIT.
        try db.executeDeferred(updateStatuses, [
            .array(statuses.map { .uuid($0.0.deliveryId) }), .array(statuses.map { .text($0.0.stage.rawValue) }),
            .array(statuses.map { .text($0.0.sagaState.rawValue) }), .array(statuses.map { .text($0.0.ownerId) }),
            .array(statuses.map { .text($0.0.droneId) }), .array(statuses.map { .uuid($0.0.packageId) }),
            .array(statuses.map { .timestamp($0.0.pickupEta) }), .array(statuses.map { .timestamp($0.0.dropoffEta) }),
            .array(statuses.map { .text($0.0.reason?.code) }), .array(statuses.map { .text($0.0.reason?.message) }),
            .array(statuses.map { .text($0.0.lastEventType) }), .array(statuses.map { .timestamp($0.0.updatedAt) }),
            .array(statuses.map { .json(String(decoding: $0.1.stored.serialized(), as: UTF8.self)) }),
        ])
        return statuses.map(\.0)
    }

    /// The envelopes the log took (`logged`), grouped by delivery in order of first appearance.
    private static func newEventsByDelivery(_ envelopes: [AnyEventEnvelope], logged: Set<UUID>) -> [(UUID, [AnyEventEnvelope])] {
        var order: [UUID] = []
        var byDelivery: [UUID: [AnyEventEnvelope]] = [:]
        for envelope in envelopes where logged.contains(envelope.id) {
            if byDelivery[envelope.deliveryId] == nil { order.append(envelope.deliveryId) }
            byDelivery[envelope.deliveryId, default: []].append(envelope)
        }
        return order.map { ($0, byDelivery[$0]!) }
    }

    /// Locks the events' status rows, or creates those there are none of, and returns one row per
    /// delivery with its summary (NULL for a row from before migration 2); then logs the events
    /// and returns one row per event it took (`event_id`; a repeated id is left out). The rows
    /// that exist are locked first, then the missing ones created, each in delivery-id order; a
    /// lock writes no row version, unlike an update. Two first events of a delivery at once both
    /// find no row: one creates it, the other waits for that to commit and then takes the row
    /// (DO UPDATE locks it and returns the committed summary). An event's insert reads its
    /// status row, so that row's lock always comes first. Two instances' transactions sharing
    /// deliveries can still lock in opposite orders, when one took its snapshot before a shared
    /// row was created and the other after; the database then ends one, and the runtime redoes
    /// its events one per transaction.
    private static let lockStatusesAndLog = """
        WITH input AS (
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::int4[], $6::text[], $7::uuid[], $8::jsonb[])
                AS e (event_id, delivery_id, event_type, occurred_at, schema_version, producer, causation_id, body)
        ), locked AS (
            SELECT delivery_id, summary FROM delivery_status WHERE delivery_id = ANY($2::uuid[]) ORDER BY delivery_id FOR UPDATE
        ), created AS (
            INSERT INTO delivery_status (delivery_id, stage, saga_state, last_event_type, updated_at, summary)
            SELECT DISTINCT ON (delivery_id) delivery_id, 'Created', 'inFlight', event_type, occurred_at, '{}'::json
            FROM input WHERE delivery_id NOT IN (SELECT delivery_id FROM locked)
            ORDER BY delivery_id
            ON CONFLICT (delivery_id) DO UPDATE SET delivery_id = delivery_status.delivery_id
            RETURNING delivery_id, summary
        ), status AS (
            SELECT delivery_id, summary FROM locked UNION ALL SELECT delivery_id, summary FROM created
        ), logged AS (
            INSERT INTO events (event_id, delivery_id, event_type, schema_version, producer, causation_id, occurred_at, body)
            SELECT e.event_id, e.delivery_id, e.event_type, e.schema_version, e.producer, e.causation_id, e.occurred_at, e.body
            FROM input e JOIN status s ON s.delivery_id = e.delivery_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
        )
        SELECT delivery_id, summary::text AS summary, NULL::uuid AS event_id FROM status
        UNION ALL SELECT NULL, NULL, event_id FROM logged
        """

    /// Writes each status and the summary it was read from.
    private static let updateStatuses = """
        UPDATE delivery_status AS s SET stage = u.stage, saga_state = u.saga_state, owner_id = u.owner_id, drone_id = u.drone_id,
            package_id = u.package_id, pickup_eta = u.pickup_eta, dropoff_eta = u.dropoff_eta, reason_code = u.reason_code,
            reason_message = u.reason_message, last_event_type = u.last_event_type, updated_at = u.updated_at, summary = u.summary
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[], $8::timestamptz[],
                $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::json[])
            AS u (delivery_id, stage, saga_state, owner_id, drone_id, package_id, pickup_eta, dropoff_eta, reason_code,
                reason_message, last_event_type, updated_at, summary)
        WHERE s.delivery_id = u.delivery_id
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
