import Choreography
import Contracts
import Foundation
import Postgres
import UUIDText

/// The state of a delivery's row in `allocations` (see the migration for each state's meaning).
enum AllocationState: String, Sendable {
    case deferred
    case allocated
    case flying
    case delivered
    case released
    case failed
    case cancelledBeforeAllocation = "cancelled-before-allocation"
}

/// A delivery's row in `allocations`.
struct AllocationRecord: Sendable {
    let deliveryId: UUID
    let state: AllocationState
    let droneId: String?
    let packageId: UUID?
    let pickupEta: Date?
    let dropoffEta: Date?
    let dropoff: GeoLocation?

    /// The ETAs, when a drone was allocated.
    var times: FlightTimes? {
        guard let pickupEta, let dropoffEta else { return nil }
        return FlightTimes(pickupEta: pickupEta, dropoffEta: dropoffEta)
    }
}

/// A new allocation, as `package.created` decided it.
struct NewAllocation: Sendable {
    let deliveryId: UUID
    let droneId: String
    let packageId: UUID
    let times: FlightTimes
    let route: DeliveryRoute
    let deliveryDeadline: Date
}

/// SQL on the drone service's own tables, `drones` and `allocations` (unqualified: the
/// connection's search_path is the service's schema). Every function runs inside the caller's
/// transaction. Writes whose result is not needed are deferred: they travel with the
/// transaction's next statement or its COMMIT, in order, so a handler makes few round trips.
enum DroneTables {
    /// Names of the deadlines that act on a delivery's allocation: the deferred allocation and the
    /// flight simulation's.
    static let flightDeadlines = [FlightDeadline.allocate, FlightDeadline.pickup, FlightDeadline.dropoff]

    /// Serialises this service's transactions for one delivery (a transaction-scoped advisory
    /// lock), so a compensation and the step it undoes, or two copies of one step, never
    /// interleave. Deadline handlers do not take it (see `lockPendingFlightDeadlines`).
    /// Sent with the transaction's next statement (no round trip of its own; the lock is still
    /// taken before that statement runs).
    static func lockDelivery(_ deliveryId: UUID, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [.text("drone.delivery.\(deliveryId.uppercaseText)")])
    }

    /// Locks the delivery's flight deadlines that have not fired (see `Deadlines.lockPending`).
    /// Handlers that release a drone take this before the allocation row, in the order a firing
    /// deadline takes its locks (deadline row, then allocation row), so the two never deadlock;
    /// afterwards no flight deadline of the delivery can fire until they commit.
    static func lockPendingFlightDeadlines(_ deliveryId: UUID, _ db: isolated PostgresConnection) throws {
        try Deadlines.lockPendingDeferred(named: flightDeadlines, for: deliveryId, db)
    }

    /// Inserts the drones that do not exist yet; existing rows (idle or busy) are left alone.
    /// Returns how many were inserted. When it inserted any, it refreshes the table's statistics
    /// (`ANALYZE`): otherwise the allocation's plans are made for an empty table, a hash join over
    /// a scan of the whole fleet per allocation, until autovacuum's first ANALYZE under load.
    static func seed(_ drones: [FleetDrone], _ db: isolated PostgresConnection) throws -> Int {
        var inserted = 0
        for drone in drones {
            inserted += try db.execute("""
                INSERT INTO drones (drone_id, max_payload_kg, range_km, speed_kmh, home_latitude, home_longitude)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (drone_id) DO NOTHING
                """, [
                    .text(drone.droneId), .double(drone.model.maxPayloadKg), .double(drone.model.rangeKm),
                    .double(drone.model.speedKmh), .double(drone.home.latitude), .double(drone.home.longitude),
                ])
        }
        if inserted > 0 { _ = try db.execute("ANALYZE drones") }
        return inserted
    }

    /// The delivery's allocation row, locked for the rest of the transaction.
    static func allocation(for deliveryId: UUID, _ db: isolated PostgresConnection) throws -> AllocationRecord? {
        try db.query("SELECT \(allocationColumns) FROM allocations WHERE delivery_id = $1 FOR UPDATE", [.uuid(deliveryId)])
            .first.map(allocationRecord)
    }

    /// The columns an ``AllocationRecord`` is read from.
    private static let allocationColumns =
        "delivery_id, state, drone_id, package_id, pickup_eta, dropoff_eta, dropoff_latitude, dropoff_longitude"

    private static func allocationRecord(_ row: PostgresRow) throws -> AllocationRecord {
        let stateText = try row.decode(String.self, column: "state")
        guard let state = AllocationState(rawValue: stateText) else {
            throw DroneServiceError(.unexpectedState, "allocations.state holds an unknown state '\(stateText)'")
        }
        let latitude = try row.decode(Double?.self, column: "dropoff_latitude")
        let longitude = try row.decode(Double?.self, column: "dropoff_longitude")
        return AllocationRecord(
            deliveryId: try row.decode(UUID.self, column: "delivery_id"), state: state,
            droneId: try row.decode(String?.self, column: "drone_id"),
            packageId: try row.decode(UUID?.self, column: "package_id"),
            pickupEta: try row.decode(Date?.self, column: "pickup_eta"),
            dropoffEta: try row.decode(Date?.self, column: "dropoff_eta"),
            dropoff: latitude.flatMap { latitude in longitude.map { GeoLocation(latitude: latitude, longitude: $0) } })
    }

    /// Every drone with its capabilities and whether it is idle (a plain read, no locks).
    static func fleet(_ db: isolated PostgresConnection) throws -> [DroneCandidate] {
        try db.query("""
            SELECT drone_id, max_payload_kg, range_km, speed_kmh, home_latitude, home_longitude, state = 'idle' AS idle
            FROM drones
            """).map { row in
            DroneCandidate(
                droneId: try row.decode(String.self, column: "drone_id"),
                model: DroneModel(
                    maxPayloadKg: try row.decode(Double.self, column: "max_payload_kg"),
                    rangeKm: try row.decode(Double.self, column: "range_km"),
                    speedKmh: try row.decode(Double.self, column: "speed_kmh")),
                home: GeoLocation(
                    latitude: try row.decode(Double.self, column: "home_latitude"),
                    longitude: try row.decode(Double.self, column: "home_longitude")),
                isIdle: try row.decode(Bool.self, column: "idle"))
        }
    }

    /// Takes the first of `ranked` (drone ids, best first) that is idle, in one statement.
    /// Without `waitingForLocks`, a drone another transaction holds is skipped
    /// (`FOR UPDATE SKIP LOCKED`); with it, this waits for that transaction and, if the drone is
    /// no longer idle then, goes on down the list. Returns the drone this transaction took.
    static func reserveFirstIdle(
        of ranked: [String], for deliveryId: UUID, waitingForLocks: Bool, _ db: isolated PostgresConnection
    ) throws -> String? {
        guard !ranked.isEmpty else { return nil }
        return try db.query("""
            UPDATE drones SET state = 'allocated', delivery_id = $2, updated_at = clock_timestamp()
            WHERE drone_id = (
                SELECT d.drone_id FROM unnest($1::text[]) WITH ORDINALITY AS ranked (drone_id, rank)
                JOIN drones d ON d.drone_id = ranked.drone_id
                WHERE d.state = 'idle'
                ORDER BY ranked.rank LIMIT 1
                FOR UPDATE OF d\(waitingForLocks ? "" : " SKIP LOCKED"))
            RETURNING drone_id
            """, [.textArray(ranked), .uuid(deliveryId)]).first?.decode(String.self, column: "drone_id")
    }

    /// Whether any of `ranked` is idle as last committed, taken by another transaction right now
    /// or not (without locking): when none is, there is nothing to wait for.
    static func anyIdle(of ranked: [String], _ db: isolated PostgresConnection) throws -> Bool {
        guard !ranked.isEmpty else { return false }
        return try db.query(
            "SELECT EXISTS (SELECT FROM drones WHERE drone_id = ANY($1::text[]) AND state = 'idle') AS idle", [.textArray(ranked)]
        ).first?.decode(Bool.self, column: "idle") ?? false
    }

    /// Records an allocation (the drone was reserved by `reserveFirstIdle`).
    static func insert(_ allocation: NewAllocation, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("""
            INSERT INTO allocations (
                delivery_id, drone_id, package_id, state, pickup_eta, dropoff_eta,
                pickup_latitude, pickup_longitude, dropoff_latitude, dropoff_longitude, delivery_deadline, allocated_at)
            VALUES ($1, $2, $3, 'allocated', $4, $5, $6, $7, $8, $9, $10, clock_timestamp())
            """, [
                .uuid(allocation.deliveryId), .text(allocation.droneId), .uuid(allocation.packageId),
                .timestamp(allocation.times.pickupEta), .timestamp(allocation.times.dropoffEta),
                .double(allocation.route.pickup.latitude), .double(allocation.route.pickup.longitude),
                .double(allocation.route.dropoff.latitude), .double(allocation.route.dropoff.longitude),
                .timestamp(allocation.deliveryDeadline),
            ])
    }

    /// Records a deferred allocation: no drone yet, one is allocated a lead time before the pickup.
    static func recordDeferred(_ deliveryId: UUID, packageId: UUID, route: DeliveryRoute, deadline: Date, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("""
            INSERT INTO allocations (
                delivery_id, package_id, state, pickup_latitude, pickup_longitude, dropoff_latitude, dropoff_longitude, delivery_deadline)
            VALUES ($1, $2, 'deferred', $3, $4, $5, $6, $7)
            """, [
                .uuid(deliveryId), .uuid(packageId), .double(route.pickup.latitude), .double(route.pickup.longitude),
                .double(route.dropoff.latitude), .double(route.dropoff.longitude), .timestamp(deadline),
            ])
    }

    /// Removes a deferred allocation whose time has come (the allocation then records its outcome).
    static func removeDeferred(_ deliveryId: UUID, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("DELETE FROM allocations WHERE delivery_id = $1 AND state = 'deferred'", [.uuid(deliveryId)])
    }

    /// A deferred allocation compensated before its time: it becomes a tombstone.
    static func cancelDeferred(_ deliveryId: UUID, reason: DroneReleased.Code, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("""
            UPDATE allocations SET state = 'cancelled-before-allocation', release_reason = $2, released_at = clock_timestamp()
            WHERE delivery_id = $1 AND state = 'deferred'
            """, [.uuid(deliveryId), .text(reason.rawValue)])
    }

    /// Records that no drone was allocated for the delivery (a later `package.created` for it does nothing).
    static func recordFailure(
        _ deliveryId: UUID, packageId: UUID, route: DeliveryRoute, code: DroneAllocationFailed.Code, _ db: isolated PostgresConnection
    ) throws {
        try db.executeDeferred("""
            INSERT INTO allocations (
                delivery_id, package_id, state, failure_code, pickup_latitude, pickup_longitude, dropoff_latitude, dropoff_longitude)
            VALUES ($1, $2, 'failed', $3, $4, $5, $6, $7)
            """, [
                .uuid(deliveryId), .uuid(packageId), .text(code.rawValue),
                .double(route.pickup.latitude), .double(route.pickup.longitude),
                .double(route.dropoff.latitude), .double(route.dropoff.longitude),
            ])
    }

    /// Leaves a tombstone: the delivery was compensated before any drone was allocated for it.
    static func recordTombstone(_ deliveryId: UUID, reason: DroneReleased.Code, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("""
            INSERT INTO allocations (delivery_id, state, release_reason, released_at)
            VALUES ($1, 'cancelled-before-allocation', $2, clock_timestamp())
            """, [.uuid(deliveryId), .text(reason.rawValue)])
    }

    /// Returns the allocation's drone to the pool and marks the allocation released (one
    /// statement for both rows).
    static func release(_ allocation: AllocationRecord, droneId: String, reason: DroneReleased.Code, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("""
            WITH released AS (
                UPDATE allocations SET state = 'released', release_reason = $2, released_at = clock_timestamp()
                WHERE delivery_id = $1
            )
            UPDATE drones SET state = 'idle', delivery_id = NULL, updated_at = clock_timestamp()
            WHERE drone_id = $3 AND delivery_id = $1
            """, [.uuid(allocation.deliveryId), .text(reason.rawValue), .text(droneId)])
    }

    /// The drone reached the pickup point: if the allocation still waits for it (`allocated`),
    /// it and its drone become `flying`, in one statement that reads, locks and writes both rows.
    /// Returns the allocation as it now is, or nil when it was not waiting for the pickup.
    static func pickUp(_ deliveryId: UUID, _ db: isolated PostgresConnection) throws -> AllocationRecord? {
        try db.query("""
            WITH flying AS (
                UPDATE allocations SET state = 'flying', picked_up_at = clock_timestamp()
                WHERE delivery_id = $1 AND state = 'allocated'
                RETURNING \(allocationColumns)
            ), airborne AS (
                UPDATE drones d SET state = 'flying', updated_at = clock_timestamp()
                FROM flying WHERE d.drone_id = flying.drone_id AND d.delivery_id = $1
            )
            SELECT * FROM flying
            """, [.uuid(deliveryId)]).first.map(allocationRecord)
    }

    /// The drone reached the drop-off point: if the allocation is `flying`, it becomes
    /// `delivered` (the drone stays out of the pool until `delivery.completed`), in one statement.
    /// Returns the allocation as it now is, or nil when it was not flying.
    static func dropOff(_ deliveryId: UUID, _ db: isolated PostgresConnection) throws -> AllocationRecord? {
        try db.query("""
            UPDATE allocations SET state = 'delivered', delivered_at = clock_timestamp()
            WHERE delivery_id = $1 AND state = 'flying'
            RETURNING \(allocationColumns)
            """, [.uuid(deliveryId)]).first.map(allocationRecord)
    }
}

/// The durable deadlines of an allocation and its simulated flight.
enum FlightDeadline {
    /// Fires a lead time before a far-off pickup: the deferred allocation is made.
    static let allocate = "allocate-drone"
    /// Fires when the drone reaches the pickup point.
    static let pickup = "flight-pickup"
    /// Fires when the drone reaches the drop-off point.
    static let dropoff = "flight-dropoff"
}
