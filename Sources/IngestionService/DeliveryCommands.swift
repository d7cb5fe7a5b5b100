import Choreography
package import Contracts
package import Foundation
import Logging
import Postgres
package import ServiceHTTP

/// The ingestion service's two commands, each one local transaction that records the decision
/// and emits its event through the outbox.
package struct DeliveryCommands: Sendable {
    /// What `accept` decided.
    package enum AcceptOutcome: Sendable, Equatable {
        /// A new delivery; `delivery.requested` is committed to the outbox.
        case accepted(UUID)
        /// The Idempotency-Key was seen with the same body: the first answer, nothing new started.
        case replayed(UUID)
        /// The Idempotency-Key was seen with a different body.
        case keyConflict(UUID)
    }

    /// What `cancel` decided.
    package enum CancelOutcome: Sendable, Equatable {
        /// `delivery.cancellation-requested` is committed to the outbox.
        case requested
        /// It was requested before; nothing new is emitted.
        case alreadyRequested
        /// No such delivery was ever accepted.
        case unknown
    }

    let database: ServiceDatabase

    /// Commands over the service's database.
    package init(database: ServiceDatabase) {
        self.database = database
    }

    /// Stores an accepted request and emits `delivery.requested`, honouring `idempotencyKey` (the
    /// owner's: keys are scoped per owner).
    package func accept(_ request: DeliveryRequested, json: JSONValue, idempotencyKey: String?) async throws -> AcceptOutcome {
        let deliveryId = UUID.random()
        let text = String(decoding: json.serialized(), as: UTF8.self)
        return try await database.transaction(deliveryId: deliveryId) { context, db in
            if let idempotencyKey {
                // Keys are the owner's own: another owner's key of the same text is another key.
                let claimed = try db.query("""
                    INSERT INTO idempotency_keys (owner_id, key, delivery_id) VALUES ($1, $2, $3)
                    ON CONFLICT (owner_id, key) DO NOTHING RETURNING delivery_id
                    """, [.text(request.ownerId), .text(idempotencyKey), .uuid(deliveryId)])
                if claimed.isEmpty {
                    // Taken, possibly by a transaction that just committed: compare the bodies as JSON values.
                    let first = try db.query("""
                        SELECT k.delivery_id, r.request = $3::jsonb AS same
                        FROM idempotency_keys k JOIN requests r USING (delivery_id) WHERE k.owner_id = $1 AND k.key = $2
                        """, [.text(request.ownerId), .text(idempotencyKey), .text(text)])
                    guard let row = first.first else {
                        throw ChoreographyError(.configuration, "idempotency key \(idempotencyKey) has no request")
                    }
                    let firstId = try row.decode(UUID.self, column: "delivery_id")
                    return try row.decode(Bool.self, column: "same") ? .replayed(firstId) : .keyConflict(firstId)
                }
            }
            _ = try db.execute(
                "INSERT INTO requests (delivery_id, owner_id, request, idempotency_key) VALUES ($1, $2, $3::jsonb, $4)",
                [.uuid(deliveryId), .text(request.ownerId), .text(text), idempotencyKey.map(PostgresValue.text) ?? .null])
            try context.emit(request)
            context.logger.info("delivery accepted", metadata: ["owner.id": "\(request.ownerId)"])
            return .accepted(deliveryId)
        }
    }

    /// Records a customer's cancellation request and emits `delivery.cancellation-requested` once;
    /// a delivery whose owner `visibleTo` refuses is `.unknown`, exactly like one never accepted.
    package func cancel(_ deliveryId: UUID, visibleTo: @escaping @Sendable (_ ownerId: String) -> Bool) async throws -> CancelOutcome {
        try await database.transaction(deliveryId: deliveryId) { context, db in
            let rows = try db.query(
                "SELECT owner_id, cancellation_requested_at IS NOT NULL AS requested FROM requests WHERE delivery_id = $1 FOR UPDATE",
                [.uuid(deliveryId)])
            guard let row = rows.first, visibleTo(try row.decode(String.self, column: "owner_id")) else { return .unknown }
            if try row.decode(Bool.self, column: "requested") { return .alreadyRequested }
            _ = try db.execute(
                "UPDATE requests SET cancellation_requested_at = clock_timestamp() WHERE delivery_id = $1", [.uuid(deliveryId)])
            try context.emit(DeliveryCancellationRequested(reason: Reason(.customerRequest, "Cancelled by the customer.")))
            context.logger.info("cancellation requested")
            return .requested
        }
    }
}
