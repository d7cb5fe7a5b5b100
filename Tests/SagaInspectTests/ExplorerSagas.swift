import Contracts
import Foundation
import Postgres
import SagaInspect

/// Whole sagas for the explorer's tests, written into the minimal schemas the way the services
/// would: every event logged and in the inboxes of its consumers and history, each service's rows
/// to match, and history's status row.
extension SagaRows {
    /// Logs an event handled by its contract consumers and history.
    mutating func logHandled(_ type: String, at seconds: Double, causedBy cause: String? = nil, data: JSONValue = [:], _ db: PostgresConnection) async throws {
        try await log(type, at: seconds, causedBy: cause, data: data, handledBy: SagaContract.consumers(of: type) + ["history"], db)
    }

    /// Writes (or replaces) history's status row.
    func writeStatus(stage: String, sagaState: String, ownerId: String = "acct-active-001", reasonCode: String? = nil, lastEvent: String, at seconds: Double,
                     _ db: PostgresConnection) async throws {
        try await db.execute("""
            INSERT INTO history.delivery_status (delivery_id, stage, saga_state, owner_id, drone_id, reason_code, last_event_type, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $9, $5, $6, $7, $8)
            ON CONFLICT (delivery_id) DO UPDATE SET stage = EXCLUDED.stage, saga_state = EXCLUDED.saga_state, reason_code = EXCLUDED.reason_code,
                last_event_type = EXCLUDED.last_event_type, updated_at = EXCLUDED.updated_at
            """, [.uuid(deliveryId), .text(stage), .text(sagaState), .text(ownerId), .text(reasonCode), .text(lastEvent), .timestamp(start),
                  .timestamp(start.addingTimeInterval(seconds)), .text(droneId)])
    }

    /// delivery.requested up to drone.allocated: in flight, waiting on the delivery service's join.
    mutating func writeUpToAllocation(_ db: PostgresConnection) async throws {
        let package = JSONValue.string(packageId.uuidString.lowercased())
        try await db.execute(
            "INSERT INTO ingestion.requests (delivery_id, owner_id, accepted_at) VALUES ($1, 'acct-active-001', $2)", [.uuid(deliveryId), .timestamp(start)])
        try await logHandled("delivery.requested", at: 0, db)
        try await logHandled("account.validated", at: 0.010, causedBy: "delivery.requested", data: ["ownerId": "acct-active-001"], db)
        try await logHandled("package.created", at: 0.012, causedBy: "delivery.requested", data: ["packageId": package], db)
        try await logHandled("drone.allocated", at: 0.030, causedBy: "package.created", data: ["droneId": .string(droneId), "packageId": package], db)
        try await db.execute(
            "INSERT INTO account.decisions (delivery_id, owner_id, outcome, decided_at) VALUES ($1, 'acct-active-001', 'validated', $2)",
            [.uuid(deliveryId), .timestamp(start.addingTimeInterval(0.01))])
        try await db.execute("INSERT INTO package.packages (package_id, delivery_id, state) VALUES ($1, $2, 'active')", [.uuid(packageId), .uuid(deliveryId)])
        try await db.execute(
            "INSERT INTO drone.allocations (delivery_id, drone_id, package_id, state) VALUES ($1, $3, $2, 'allocated')", [.uuid(deliveryId), .uuid(packageId), .text(droneId)])
        try await db.execute("INSERT INTO drone.drones (drone_id, state, delivery_id) VALUES ($1, 'allocated', $2)", [.text(droneId), .uuid(deliveryId)])
        try await writeStatus(stage: "Created", sagaState: "inFlight", lastEvent: "drone.allocated", at: 0.030, db)
    }

    /// From drone.allocated to the drone's release after delivery: completed.
    mutating func writeRestOfHappyPath(_ db: PostgresConnection) async throws {
        try await logHandled("delivery.scheduled", at: 0.040, causedBy: "drone.allocated", data: ["droneId": .string(droneId)], db)
        try await logHandled("drone.picked-up", at: 0.050, causedBy: "delivery.scheduled", data: ["droneId": .string(droneId)], db)
        try await logHandled("drone.delivered", at: 0.060, causedBy: "delivery.scheduled", data: ["droneId": .string(droneId)], db)
        try await logHandled("delivery.completed", at: 0.070, causedBy: "drone.delivered", data: ["droneId": .string(droneId)], db)
        try await logHandled("drone.released", at: 0.080, causedBy: "delivery.completed", data: Self.reason("DELIVERY_COMPLETED", extra: ["droneId": .string(droneId)]), db)
        try await db.execute("UPDATE package.packages SET state = 'delivered' WHERE delivery_id = $1", [.uuid(deliveryId)])
        try await db.execute("UPDATE drone.allocations SET state = 'released', release_reason = 'DELIVERY_COMPLETED' WHERE delivery_id = $1", [.uuid(deliveryId)])
        try await db.execute("DELETE FROM drone.drones WHERE delivery_id = $1", [.uuid(deliveryId)])
        try await db.execute(
            "INSERT INTO delivery.deliveries (delivery_id, state, account_state, drone_id) VALUES ($1, 'completed', 'validated', $2)", [.uuid(deliveryId), .text(droneId)])
        try await writeStatus(stage: "Completed", sagaState: "completed", lastEvent: "drone.released", at: 0.080, db)
    }

    /// The whole happy path: completed.
    mutating func writeCompletedSaga(_ db: PostgresConnection) async throws {
        try await writeUpToAllocation(db)
        try await writeRestOfHappyPath(db)
    }

    /// delivery.scheduling-failed after the allocation, both compensations done: compensated.
    mutating func writeCompensatedSaga(_ db: PostgresConnection) async throws {
        try await writeUpToAllocation(db)
        try await logHandled("delivery.scheduling-failed", at: 0.040, causedBy: "drone.allocated", data: Self.reason("NO_FLY_ZONE", extra: ["droneId": .string(droneId)]), db)
        try await logHandled("package.cancelled", at: 0.050, causedBy: "delivery.scheduling-failed", data: Self.reason("SCHEDULING_FAILED"), db)
        try await logHandled("drone.released", at: 0.055, causedBy: "delivery.scheduling-failed", data: Self.reason("SCHEDULING_FAILED", extra: ["droneId": .string(droneId)]), db)
        try await db.execute("UPDATE package.packages SET state = 'cancelled', cancel_reason = 'SCHEDULING_FAILED' WHERE delivery_id = $1", [.uuid(deliveryId)])
        try await db.execute("UPDATE drone.allocations SET state = 'released', release_reason = 'SCHEDULING_FAILED' WHERE delivery_id = $1", [.uuid(deliveryId)])
        try await db.execute("DELETE FROM drone.drones WHERE delivery_id = $1", [.uuid(deliveryId)])
        try await db.execute(
            "INSERT INTO delivery.deliveries (delivery_id, state, account_state, failure_code) VALUES ($1, 'failed', 'validated', 'NO_FLY_ZONE')", [.uuid(deliveryId)])
        try await writeStatus(stage: "Compensated", sagaState: "compensated", reasonCode: "NO_FLY_ZONE", lastEvent: "drone.released", at: 0.055, db)
    }

    /// The compensated saga broken by hand: the package service still says the package is active
    /// although package.cancelled was logged: inconsistent.
    mutating func writeInconsistentSaga(_ db: PostgresConnection) async throws {
        try await writeCompensatedSaga(db)
        try await db.execute("UPDATE package.packages SET state = 'active', cancel_reason = NULL WHERE delivery_id = $1", [.uuid(deliveryId)])
    }

    /// Each saga gets its own drone name so several can share the schemas.
    var droneId: String { "drone-" + deliveryId.uuidString.prefix(8).lowercased() }
}
