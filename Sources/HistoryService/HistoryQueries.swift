import Contracts
package import Foundation
package import Postgres

/// The history service's read side, behind `GET /api/deliveries/{deliveryId}` and
/// `GET /api/deliveries/{deliveryId}/events`; each query runs on a connection whose
/// `search_path` is the history schema and returns `nil` for a delivery it has never seen.
package enum HistoryQueries {
    /// The most events a timeline returns (`DeliveryTimeline.events.maxItems` in `schemas/openapi.yaml`).
    package static let timelineLimit = 1000

    /// The delivery's current status, or `nil` if no event of it was logged.
    package static func status(deliveryId: UUID, on db: isolated PostgresConnection) throws -> DeliveryStatus? {
        let rows = try db.query("""
            SELECT delivery_id, stage, saga_state, owner_id, drone_id, package_id, pickup_eta, dropoff_eta,
                   reason_code, reason_message, last_event_type, updated_at
            FROM delivery_status WHERE delivery_id = $1
            """, [.uuid(deliveryId)])
        guard let row = rows.first else { return nil }
        let stageText = try row.decode(String.self, column: "stage")
        let sagaText = try row.decode(String.self, column: "saga_state")
        guard let stage = DeliveryStage(rawValue: stageText), let sagaState = SagaState(rawValue: sagaText) else {
            throw PostgresError(.decoding, message: "unknown stage '\(stageText)' or saga state '\(sagaText)'")
        }
        var reason: StatusReason?
        if let code = try row.decode(String?.self, column: "reason_code") {
            reason = StatusReason(code: code, message: try row.decode(String?.self, column: "reason_message") ?? "")
        }
        return DeliveryStatus(
            deliveryId: try row.decode(UUID.self, column: "delivery_id"), stage: stage, sagaState: sagaState,
            ownerId: try row.decode(String?.self, column: "owner_id"), droneId: try row.decode(String?.self, column: "drone_id"),
            packageId: try row.decode(UUID?.self, column: "package_id"),
            pickupEta: try row.decode(Date?.self, column: "pickup_eta"),
            dropoffEta: try row.decode(Date?.self, column: "dropoff_eta"), reason: reason,
            lastEventType: try row.decode(String.self, column: "last_event_type"),
            updatedAt: try row.decode(Date.self, column: "updated_at"))
    }

    /// The delivery's owner as the projection knows it (nil for an unknown delivery, or while the
    /// owner's event has not been folded yet).
    package static func owner(deliveryId: UUID, on db: isolated PostgresConnection) throws -> String? {
        try db.query("SELECT owner_id FROM delivery_status WHERE delivery_id = $1", [.uuid(deliveryId)]).first?
            .decode(String?.self, column: "owner_id")
    }

    /// The delivery's events in the order the history service recorded them (at most `limit`,
    /// itself at most ``timelineLimit``), or `nil` if none was logged.
    package static func timeline(
        deliveryId: UUID, limit: Int = timelineLimit, on db: isolated PostgresConnection
    ) throws -> [TimelineEntry]? {
        let rows = try db.query("""
            SELECT event_id, event_type, schema_version, producer, occurred_at, recorded_at, causation_id,
                   (body -> 'data')::text AS data
            FROM events WHERE delivery_id = $1 ORDER BY recorded_at, event_id LIMIT $2
            """, [.uuid(deliveryId), .int(max(1, min(limit, timelineLimit)))])
        guard !rows.isEmpty else { return nil }
        return try rows.map { row in
            TimelineEntry(
                eventId: try row.decode(UUID.self, column: "event_id"), type: try row.decode(String.self, column: "event_type"),
                version: try row.decode(Int.self, column: "schema_version"),
                producer: try row.decode(String.self, column: "producer"),
                occurredAt: try row.decode(Date.self, column: "occurred_at"),
                recordedAt: try row.decode(Date.self, column: "recorded_at"),
                causationId: try row.decode(UUID?.self, column: "causation_id"),
                data: try JSONValue(parsing: try row.decode([UInt8].self, column: "data")))
        }
    }

    /// The body of `GET /api/deliveries/{deliveryId}/events`, or `nil` for an unknown delivery.
    package static func timelineDocument(
        deliveryId: UUID, limit: Int = timelineLimit, on db: isolated PostgresConnection
    ) throws -> DeliveryTimeline? {
        try timeline(deliveryId: deliveryId, limit: limit, on: db).map { DeliveryTimeline(deliveryId: deliveryId, events: $0) }
    }
}
