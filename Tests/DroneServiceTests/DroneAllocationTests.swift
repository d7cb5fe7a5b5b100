import Choreography
import Contracts
import DroneService
import Foundation
import Postgres
import ServiceTestSupport
import Testing

/// Allocation against the real servers: the nearest capable drone, each failure code, no double
/// allocation under concurrency, fleet seeding.
@Suite("Drone service: allocation")
struct DroneAllocationTests {
    @Test("the nearest idle drone with the payload and the range is allocated, with its ETAs")
    func allocatesNearestCapableDrone() async throws {
        let bed = try DroneTestBed(fleet: "3x5kg/30km/60kmh,1x25kg/80km/50kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let homes = bed.homes
        // A light package 100 m from drone-003's base; a heavy one 100 m from drone-001's base,
        // which only drone-004 can carry.
        let lightPickup = GreatCircle.destination(from: try #require(homes["drone-003"]), distanceKm: 0.1, bearingDegrees: 10)
        let heavyPickup = GreatCircle.destination(from: try #require(homes["drone-001"]), distanceKm: 0.1, bearingDegrees: 10)
        // The test's own check that drone-003 is the nearest of the light drones.
        let nearest = ["drone-001", "drone-002", "drone-003"].min {
            GreatCircle.distanceKm(from: homes[$0]!, to: lightPickup) < GreatCircle.distanceKm(from: homes[$1]!, to: lightPickup)
        }
        #expect(nearest == "drone-003")
        let light = DroneTestBed.package(weightKg: 2, pickup: lightPickup)
        let heavy = DroneTestBed.package(weightKg: 20, pickup: heavyPickup)
        let lightDelivery = UUID()
        let heavyDelivery = UUID()
        let started = Date()
        try await bed.harness.withRunningService {
            try await bed.send(light, deliveryId: lightDelivery)
            try await bed.send(heavy, deliveryId: heavyDelivery)
        }
        let finished = Date()

        let emitted = try await bed.emitted(capture, expecting: 2)
        #expect(emitted.count == 2)
        let byDelivery = Dictionary(uniqueKeysWithValues: try emitted.ofType(.droneAllocated).map {
            ($0.deliveryId, try $0.payload(as: DroneAllocated.self))
        })
        let lightAllocation = try #require(byDelivery[lightDelivery])
        let heavyAllocation = try #require(byDelivery[heavyDelivery])
        #expect(lightAllocation.droneId == "drone-003")
        #expect(heavyAllocation.droneId == "drone-004")
        #expect(lightAllocation.packageId == light.packageId)
        #expect(lightAllocation.dropoffLocation == light.dropoffLocation)
        #expect(abs(lightAllocation.deadline.timeIntervalSince(light.deadline)) < 0.001)

        // ETAs: 0.1 km at 60 km/h is 6 s after the handling time; 2 km more is 120 s more.
        #expect(lightAllocation.pickupEta >= started.addingTimeInterval(6 - 0.001))
        #expect(lightAllocation.pickupEta <= finished.addingTimeInterval(6 + 0.001))
        #expect(abs(lightAllocation.dropoffEta.timeIntervalSince(lightAllocation.pickupEta) - 120) < 0.01)
        // The heavy drone flies 50 km/h: 2 km in 144 s.
        #expect(abs(heavyAllocation.dropoffEta.timeIntervalSince(heavyAllocation.pickupEta) - 144) < 0.01)

        #expect(try await bed.droneStates() == ["drone-001": "idle", "drone-002": "idle", "drone-003": "allocated", "drone-004": "allocated"])
        #expect(try await bed.harness.count(
            "SELECT count(*) FROM drones WHERE drone_id = 'drone-003' AND delivery_id = $1", [.uuid(lightDelivery)]) == 1)
        let row = try #require(try await bed.allocation(lightDelivery))
        #expect(row.state == "allocated")
        #expect(row.droneId == "drone-003")
        let stored = try await bed.harness.query(
            "SELECT pickup_eta, dropoff_eta, package_id FROM allocations WHERE delivery_id = $1", [.uuid(lightDelivery)])[0]
        #expect(try stored.decode(Date.self, column: "pickup_eta") == lightAllocation.pickupEta)
        #expect(try stored.decode(Date.self, column: "dropoff_eta") == lightAllocation.dropoffEta)
        #expect(try stored.decode(UUID.self, column: "package_id") == light.packageId)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("each allocation failure has its code: capacity, range, availability")
    func allocationFailureCodes() async throws {
        let bed = try DroneTestBed(fleet: "2x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let tooHeavy = UUID()
        let tooFar = UUID()
        let first = UUID()
        let second = UUID()
        let third = UUID()
        let farAway = GreatCircle.destination(from: DroneSettings.defaultHome, distanceKm: 200, bearingDegrees: 0)
        try await bed.harness.withRunningService {
            try await bed.send(DroneTestBed.package(weightKg: 10), deliveryId: tooHeavy)
            try await bed.send(DroneTestBed.package(weightKg: 1, dropoff: farAway), deliveryId: tooFar)
            try await bed.send(DroneTestBed.package(), deliveryId: first)
            try await bed.send(DroneTestBed.package(), deliveryId: second)
            try await bed.send(DroneTestBed.package(), deliveryId: third)
        }
        let emitted = try await bed.emitted(capture, expecting: 5)
        #expect(emitted.count == 5)
        let failures = Dictionary(uniqueKeysWithValues: try emitted.ofType(.droneAllocationFailed).map {
            ($0.deliveryId, try $0.payload(as: DroneAllocationFailed.self).reason)
        })
        #expect(failures.count == 3)
        #expect(failures[tooHeavy]?.code == .noDroneWithCapacity)
        #expect(failures[tooHeavy]?.message.contains("5 kg") == true)
        #expect(failures[tooFar]?.code == .noDroneInRange)
        #expect(failures[third]?.code == .noDroneAvailable)
        #expect(Set(emitted.ofType(.droneAllocated).map(\.deliveryId)) == [first, second])

        #expect(try await bed.droneStates() == ["drone-001": "allocated", "drone-002": "allocated"])
        #expect(try await bed.allocation(tooHeavy)?.state == "failed")
        #expect(try await bed.allocation(tooHeavy)?.failureCode == "NO_DRONE_WITH_CAPACITY")
        #expect(try await bed.allocation(tooFar)?.failureCode == "NO_DRONE_IN_RANGE")
        #expect(try await bed.allocation(third)?.failureCode == "NO_DRONE_AVAILABLE")
        #expect(try await bed.allocation(third)?.droneId == nil)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a drone another transaction holds and then lets go is still allocated, not NO_DRONE_AVAILABLE")
    func lockedCandidateThatComesFreeIsAllocated() async throws {
        let bed = try DroneTestBed(fleet: "1x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let delivery = UUID()
        try await bed.harness.withRunningService {
            // Another allocation that will roll back holds the only drone's row.
            let holder = try await bed.harness.connectToSchema()
            do {
                try await holder.transaction { db in
                    _ = try db.query("SELECT drone_id FROM drones FOR UPDATE")
                    try await bed.harness.publish(DroneTestBed.package(), deliveryId: delivery)
                    // Wait until this service's allocation waits for this very lock (state, not time).
                    try await waitUntil("the allocation to wait for the held drone") {
                        try await bed.harness.count("""
                            SELECT count(*) FROM pg_stat_activity
                            WHERE wait_event_type = 'Lock' AND application_name LIKE $1
                              AND query LIKE '%UPDATE drones SET state = ''allocated''%'
                            """, [.text("\(bed.harness.name) %")]) >= 1
                    }
                    throw CancellationError()  // roll back: the drone was never taken
                }
            } catch is CancellationError {}
            await holder.close()
            try await waitUntil("the allocation") { try await bed.allocation(delivery) != nil }
        }
        let emitted = try await bed.emitted(capture, expecting: 1)
        #expect(emitted.map(\.type) == [.droneAllocated])
        #expect(try await bed.allocation(delivery)?.state == "allocated")
        try await bed.harness.cleanUp()
    }

    @Test("a drone seeded after the service read its fleet is allocated once the drones it knows are busy")
    func droneAddedAfterTheSnapshotIsFound() async throws {
        let bed = try DroneTestBed(fleet: "1x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let first = UUID()
        let second = UUID()
        try await bed.harness.withRunningService {
            // The first allocation reads the fleet (one drone) and takes it.
            try await bed.send(DroneTestBed.package(), deliveryId: first)
            // Another instance seeds a drone the running one has not read.
            _ = try await bed.harness.query("""
                INSERT INTO drones (drone_id, max_payload_kg, range_km, speed_kmh, home_latitude, home_longitude)
                VALUES ('drone-late', 5, 30, 60, $1, $2) RETURNING drone_id
                """, [.double(DroneSettings.defaultHome.latitude), .double(DroneSettings.defaultHome.longitude)])
            try await bed.send(DroneTestBed.package(), deliveryId: second)
        }
        let emitted = try await bed.emitted(capture, expecting: 2)
        let allocated = Dictionary(uniqueKeysWithValues: try emitted.ofType(.droneAllocated).map {
            ($0.deliveryId, try $0.payload(as: DroneAllocated.self).droneId)
        })
        #expect(allocated == [first: "drone-001", second: "drone-late"])
        #expect(try await bed.droneStates() == ["drone-001": "allocated", "drone-late": "allocated"])
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("an injected forward failure reports NO_DRONE_AVAILABLE and takes no drone")
    func injectedForwardFailure() async throws {
        let bed = try DroneTestBed(fleet: "2x5kg/30km/60kmh") { $0.faults.forwardFailureProbability = 1 }
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let delivery = UUID()
        try await bed.harness.withRunningService {
            try await bed.send(DroneTestBed.package(), deliveryId: delivery)
        }
        let emitted = try await bed.emitted(capture, expecting: 1)
        #expect(emitted.map(\.type) == [.droneAllocationFailed])
        let failure = try #require(try emitted.payloads(DroneAllocationFailed.self).first)
        #expect(failure.reason.code == .noDroneAvailable)
        #expect(failure.reason.message == "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)")
        #expect(try await bed.droneStates().values.allSatisfy { $0 == "idle" })
        #expect(try await bed.allocation(delivery)?.state == "failed")
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a backlog of packages shares transactions, and each package still gets a drone of its own")
    func backlogSharesTransactions() async throws {
        let bed = try DroneTestBed(fleet: "60x5kg/30km/60kmh", retryAttempts: 1) { $0.workers = 1 }
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let (_, ids, messages) = try bed.packageBacklog(40)
        // Queued before the runtime starts, so they arrive together.
        try await bed.harness.declareTopology()
        try await bed.harness.publishMessages(messages)
        try await bed.harness.withRunningService {
            try await bed.awaitHandled(ids, timeout: .seconds(90))
        }
        // xmin is the id of the transaction that wrote the row.
        let transactions = try await bed.harness.count("SELECT count(DISTINCT xmin::text) FROM allocations")
        #expect(transactions < 40, "40 allocations in \(transactions) transactions")
        let allocated = try await bed.emitted(capture, expecting: 40).payloads(DroneAllocated.self)
        #expect(allocated.count == 40)
        #expect(Set(allocated.map(\.droneId)).count == 40)
        try await bed.harness.cleanUp()
    }

    @Test("no drone is allocated twice: 2 instances × 4 workers, 40 packages for 10 drones")
    func noDoubleAllocationUnderConcurrency() async throws {
        // One attempt only: a handler that failed on a lock conflict or on the unique index (and
        // would succeed on a retry) is parked, and the test fails.
        let bed = try DroneTestBed(fleet: "10x5kg/30km/60kmh", retryAttempts: 1) { $0.workers = 4 }
        let capture = try await bed.harness.captureQueue(["drone.#"])
        // Every package is picked up at the same point, so all contend for the same nearest drones.
        let (deliveries, ids, messages) = try bed.packageBacklog(40)
        try await bed.harness.withRunningService(instances: 2) {
            try await bed.harness.publishMessages(messages)
            try await bed.awaitHandled(ids, timeout: .seconds(90))
        }
        let emitted = try await bed.emitted(capture, expecting: 40)
        #expect(emitted.count == 40)
        let allocated = try emitted.payloads(DroneAllocated.self)
        let failed = try emitted.payloads(DroneAllocationFailed.self)
        #expect(allocated.count == 10)
        #expect(Set(allocated.map(\.droneId)).count == 10)
        #expect(failed.count == 30)
        #expect(failed.allSatisfy { $0.reason.code == .noDroneAvailable })
        #expect(Set(emitted.map(\.deliveryId)) == Set(deliveries))

        // Both instances seeded the same ten drones once.
        #expect(try await bed.harness.count("SELECT count(*) FROM drones") == 10)
        #expect(try await bed.harness.count("""
            SELECT count(*) FROM (
                SELECT drone_id FROM allocations WHERE state IN ('allocated', 'flying') GROUP BY drone_id HAVING count(*) > 1
            ) AS doubled
            """) == 0)
        #expect(try await bed.harness.count("SELECT count(*) FROM allocations WHERE state = 'allocated'") == 10)
        #expect(try await bed.harness.count("SELECT count(*) FROM allocations WHERE state = 'failed'") == 30)
        #expect(try await bed.harness.count("""
            SELECT count(*) FROM drones d JOIN allocations a ON a.drone_id = d.drone_id AND a.delivery_id = d.delivery_id
            WHERE d.state = 'allocated' AND a.state = 'allocated'
            """) == 10)

        // The database itself refuses a second active allocation of a drone.
        let busy = try #require(allocated.first?.droneId)
        let error = await #expect(throws: PostgresError.self) {
            try await bed.harness.query("""
                INSERT INTO allocations (
                    delivery_id, drone_id, package_id, state, pickup_eta, dropoff_eta,
                    pickup_latitude, pickup_longitude, dropoff_latitude, dropoff_longitude, allocated_at)
                VALUES ($1, $2, $3, 'allocated', now(), now(), 47.6, -122.3, 47.6, -122.3, now())
                RETURNING delivery_id
                """, [.uuid(UUID()), .text(busy), .uuid(UUID())])
        }
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "allocations_one_active_per_drone")
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("seeding inserts missing drones at every start and never touches existing ones")
    func seedingIsIdempotent() async throws {
        let bed = try DroneTestBed(fleet: "4x5kg/30km/60kmh")
        let delivery = UUID()
        try await bed.harness.withRunningService {
            try await bed.send(DroneTestBed.package(), deliveryId: delivery)
        }
        let homes = try await bed.harness.query("SELECT drone_id, home_latitude, home_longitude FROM drones ORDER BY drone_id")
        #expect(homes.count == 4)
        // The planner knows the fleet's size from the start (never analysed, it would be -1).
        #expect(try await bed.harness.query("SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'drones'::regclass")[0]
            .decode(Double.self, column: "n") == 4)
        for row in homes {
            let id = try row.decode(String.self, column: "drone_id")
            let expected = try #require(bed.homes[id])
            #expect(abs(try row.decode(Double.self, column: "home_latitude") - expected.latitude) < 1e-9)
            #expect(abs(try row.decode(Double.self, column: "home_longitude") - expected.longitude) < 1e-9)
            #expect(GreatCircle.distanceKm(from: DroneSettings.defaultHome, to: expected) <= 5.000001)
        }
        let busy = try #require(try await bed.allocation(delivery)?.droneId)
        let idle = try #require(try await bed.droneStates().filter { $0.value == "idle" }.keys.sorted().first)
        let spare = try #require(try await bed.droneStates().filter { $0.value == "idle" && $0.key != idle }.keys.sorted().first)
        let busySince = try await bed.harness.query("SELECT updated_at FROM drones WHERE drone_id = $1", [.text(busy)])[0]
            .decode(Date.self, column: "updated_at")
        _ = try await bed.harness.query("DELETE FROM drones WHERE drone_id = $1 RETURNING drone_id", [.text(idle)])
        _ = try await bed.harness.query("UPDATE drones SET speed_kmh = 99 WHERE drone_id = $1 RETURNING drone_id", [.text(spare)])

        // A restart seeds again.
        try await bed.harness.withRunningService {}
        #expect(try await bed.harness.count("SELECT count(*) FROM drones") == 4)
        let restored = try await bed.harness.query(
            "SELECT state, speed_kmh, home_latitude FROM drones WHERE drone_id = $1", [.text(idle)])[0]
        #expect(try restored.decode(String.self, column: "state") == "idle")
        #expect(try restored.decode(Double.self, column: "speed_kmh") == 60)
        #expect(abs(try restored.decode(Double.self, column: "home_latitude") - bed.homes[idle]!.latitude) < 1e-9)
        #expect(try await bed.harness.count("SELECT count(*) FROM drones WHERE drone_id = $1 AND speed_kmh = 99", [.text(spare)]) == 1)
        let busyRow = try await bed.harness.query("SELECT state, delivery_id, updated_at FROM drones WHERE drone_id = $1", [.text(busy)])[0]
        #expect(try busyRow.decode(String.self, column: "state") == "allocated")
        #expect(try busyRow.decode(UUID?.self, column: "delivery_id") == delivery)
        #expect(try busyRow.decode(Date.self, column: "updated_at") == busySince)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }
}
