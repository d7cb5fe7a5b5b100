import Choreography
import Contracts
import Foundation
import Postgres

/// The `deliveries` table: one locked row per delivery, read into and written from a
/// ``DeliveryRecord``.
enum DeliveryTable {
    /// The delivery's row, created (joining, account pending) if this is its first event, and
    /// locked until the transaction ends, so two events of one delivery apply one after the other.
    ///
    /// One statement: it locks the row when there is one (no insert attempted: the common case),
    /// or creates it. Two first events at once on two connections both find no row: one creates
    /// it, the other waits for that to commit and then takes the row (DO UPDATE locks it and
    /// returns the committed version, which a plain read in the same statement could not see).
    /// Before the row, the same statement locks the delivery's pending deadlines named
    /// `pendingDeadlines` (the order in which a firing deadline takes them: its own row, then the
    /// delivery's), so an event that stops a deadline and the deadline firing never wait on each
    /// other in a cycle; once it waited for one, the row it locks is the version committed since.
    static func lock(_ deliveryId: UUID, pendingDeadlines: [String] = [], _ db: isolated PostgresConnection) throws -> DeliveryRecord {
        let rows = try db.query(lockOrCreate, [.uuid(deliveryId), .textArray(pendingDeadlines)])
        guard let row = rows.first else {
            throw PostgresError(.decoding, message: "delivery \(deliveryId) neither found nor created")
        }
        return try record(row)
    }

    /// The columns a ``DeliveryRecord`` is read from.
    private static let columns = """
        delivery_id, owner_id, account_state, drone_id, package_id, pickup_eta, dropoff_eta,
        dropoff_latitude, dropoff_longitude, deadline, state, failure_code, failure_message,
        drone_released_for_cancellation
        """

    private static let lockOrCreate = """
        WITH locked AS (
            SELECT \(columns) FROM deliveries
            WHERE delivery_id = $1 AND \(Deadlines.lockingPendingFirst(delivery: 1, names: 2)) FOR UPDATE
        ), created AS (
            INSERT INTO deliveries (delivery_id) SELECT $1 WHERE NOT EXISTS (SELECT FROM locked)
            ON CONFLICT (delivery_id) DO UPDATE SET delivery_id = deliveries.delivery_id
            RETURNING \(columns)
        )
        SELECT * FROM locked UNION ALL SELECT * FROM created
        """

    /// Writes every field of `record` back to its row (deferred: sent with the transaction's next
    /// statement or its COMMIT, as its result is not needed).
    static func save(_ record: DeliveryRecord, _ db: isolated PostgresConnection) throws {
        let assignment = record.assignment
        try db.executeDeferred("""
            UPDATE deliveries SET owner_id = $2, account_state = $3, drone_id = $4, package_id = $5, pickup_eta = $6,
                dropoff_eta = $7, dropoff_latitude = $8, dropoff_longitude = $9, deadline = $10, state = $11,
                failure_code = $12, failure_message = $13, drone_released_for_cancellation = $14,
                updated_at = clock_timestamp()
            WHERE delivery_id = $1
            """, [
                .uuid(record.deliveryId), .text(record.ownerId), .text(record.accountState.rawValue),
                .text(assignment?.droneId), .uuid(assignment?.packageId), .timestamp(assignment?.pickupEta),
                .timestamp(assignment?.dropoffEta), .double(assignment?.dropoffLocation.latitude),
                .double(assignment?.dropoffLocation.longitude), .timestamp(assignment?.deadline),
                .text(record.state.rawValue), .text(record.failureCode), .text(record.failureMessage),
                .bool(record.droneReleasedForCancellation),
            ])
    }

    private static func record(_ row: PostgresRow) throws -> DeliveryRecord {
        let stateText = try row.decode(String.self, column: "state")
        let accountText = try row.decode(String.self, column: "account_state")
        guard let state = DeliveryState(rawValue: stateText), let accountState = AccountState(rawValue: accountText) else {
            throw PostgresError(.decoding, message: "unknown delivery state '\(stateText)' or account state '\(accountText)'")
        }
        var assignment: DroneAssignment?
        if let droneId = try row.decode(String?.self, column: "drone_id") {
            assignment = DroneAssignment(
                droneId: droneId, packageId: try row.decode(UUID.self, column: "package_id"),
                pickupEta: try row.decode(Date.self, column: "pickup_eta"),
                dropoffEta: try row.decode(Date.self, column: "dropoff_eta"),
                dropoffLocation: GeoLocation(
                    latitude: try row.decode(Double.self, column: "dropoff_latitude"),
                    longitude: try row.decode(Double.self, column: "dropoff_longitude")),
                deadline: try row.decode(Date.self, column: "deadline"))
        }
        return DeliveryRecord(
            deliveryId: try row.decode(UUID.self, column: "delivery_id"),
            ownerId: try row.decode(String?.self, column: "owner_id"), accountState: accountState,
            assignment: assignment, state: state, failureCode: try row.decode(String?.self, column: "failure_code"),
            failureMessage: try row.decode(String?.self, column: "failure_message"),
            droneReleasedForCancellation: try row.decode(Bool.self, column: "drone_released_for_cancellation"))
    }
}
