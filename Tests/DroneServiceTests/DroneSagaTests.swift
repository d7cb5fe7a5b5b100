import Choreography
import Contracts
import DroneService
import Foundation
import Postgres
import ServiceTestSupport
import Testing

/// The flight simulation, the compensations, and adversarial orders and duplicates, against the
/// real servers.
@Suite("Drone service: flight, compensations, adversarial orders")
struct DroneSagaTests {
    static func scheduled(_ allocation: DroneAllocated) -> DeliveryScheduled {
        DeliveryScheduled(
            ownerId: "acct-active-001", droneId: allocation.droneId, packageId: allocation.packageId,
            pickupEta: allocation.pickupEta, dropoffEta: allocation.dropoffEta)
    }

    static let suspended = AccountRejected(
        ownerId: "acct-suspended-002", reason: Reason(.accountSuspended, "Account acct-suspended-002 is suspended."))
    static let noFlyZone = DeliverySchedulingFailed(reason: Reason(.noFlyZone, "Drop-off is inside no-fly zone 'sea-tac-airport'."))
    static let cancelled = DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer."))

    /// What tells the drone service about a cancellation: the request itself (the drone service
    /// decides whether it came before the pickup) or the delivery service's `delivery.cancelled`.
    enum Cancellation: String, CaseIterable, CustomTestStringConvertible {
        case request = "delivery.cancellation-requested"
        case overdue = "delivery.pickup-overdue"
        case compensation = "delivery.cancelled"
        var testDescription: String { rawValue }

        func send(_ bed: DroneTestBed, deliveryId: UUID) async throws {
            switch self {
            case .request: try await bed.send(DeliveryCancellationRequested.sample(), deliveryId: deliveryId)
            case .overdue: try await bed.send(DeliveryPickupOverdue.sample(), deliveryId: deliveryId)
            case .compensation: try await bed.send(DroneSagaTests.cancelled, deliveryId: deliveryId)
            }
        }
    }

    @Test("a pickup beyond the lead time holds no drone until a lead time before it; a compensation meanwhile cancels the deferral")
    func deferredAllocation() async throws {
        let bed = try DroneTestBed(fleet: "1x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let later = UUID()
        let cancelled = UUID()
        let pickupTime = Date().addingTimeInterval(AllocationLeadTime.defaultSeconds + 3_600)
        try await bed.harness.withRunningService {
            try await bed.send(DroneTestBed.package(pickupTime: pickupTime, deadline: pickupTime.addingTimeInterval(3_600)), deliveryId: later)
            try await bed.send(DroneTestBed.package(pickupTime: pickupTime, deadline: pickupTime.addingTimeInterval(3_600)), deliveryId: cancelled)
            #expect(try await bed.allocation(later)?.state == "deferred")
            #expect(try await bed.droneStates() == ["drone-001": "idle"])
            // Due a lead time before the pickup: an hour from now, give or take the test's own time.
            #expect(try await bed.harness.count("""
                SELECT count(*) FROM deadlines WHERE name = 'allocate-drone'
                  AND fire_at BETWEEN now() + interval '50 minutes' AND now() + interval '61 minutes'
                """) == 2)
            try await bed.send(Self.cancelled, deliveryId: cancelled)
            #expect(try await bed.allocation(cancelled)?.state == "cancelled-before-allocation")
            #expect(try await bed.harness.count(
                "SELECT count(*) FROM deadlines WHERE name = 'allocate-drone' AND delivery_id = $1 AND cancelled_at IS NOT NULL", [.uuid(cancelled)]) == 1)
            #expect(try await bed.emitted(capture, expecting: 1, timeout: .seconds(2)).isEmpty, "nothing is announced before the lead time")

            // The lead time comes (forced due): the drone is allocated then, and only for `later`.
            _ = try await bed.harness.query(
                "UPDATE deadlines SET fire_at = clock_timestamp(), cancelled_at = NULL WHERE name = 'allocate-drone' RETURNING id")
            try await waitUntil("both deadlines fired") {
                try await bed.harness.count("SELECT count(*) FROM deadlines WHERE name = 'allocate-drone' AND fired_at IS NOT NULL") == 2
            }
            let allocated = try await bed.emitted(capture, expecting: 1)
            #expect(try allocated.payloads(DroneAllocated.self).map(\.droneId) == ["drone-001"])
            #expect(allocated.first?.deliveryId == later)
            #expect(try await bed.allocation(later)?.state == "allocated")
            #expect(try await bed.allocation(cancelled)?.state == "cancelled-before-allocation")
        }
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("full flight: allocated → scheduled → picked up → delivered → completed → released, drone idle again")
    func fullFlight() async throws {
        let bed = try DroneTestBed(fleet: "1x5kg/30km/60kmh", timeScale: 0)
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let delivery = UUID()
        let package = DroneTestBed.package()
        try await bed.harness.withRunningService {
            try await bed.send(package, deliveryId: delivery)
            let allocation = try #require(try await bed.emitted(capture, expecting: 1).payloads(DroneAllocated.self).first)
            #expect(allocation.droneId == "drone-001")

            try await bed.send(Self.scheduled(allocation), deliveryId: delivery)
            let flight = try await bed.emitted(capture, expecting: 2)
            #expect(flight.map(\.type) == [.dronePickedUp, .droneDelivered])
            #expect(flight.allSatisfy { $0.deliveryId == delivery })
            let pickedUp = try #require(try flight.payloads(DronePickedUp.self).first)
            #expect(pickedUp == DronePickedUp(droneId: "drone-001", packageId: package.packageId, dropoffEta: allocation.dropoffEta))
            let delivered = try #require(try flight.payloads(DroneDelivered.self).first)
            #expect(delivered == DroneDelivered(droneId: "drone-001", packageId: package.packageId, dropoffLocation: package.dropoffLocation))
            try await waitUntil("no unpublished deadline events") { try await bed.harness.count("SELECT count(*) FROM outbox") == 0 }
            #expect(try await bed.allocation(delivery)?.state == "delivered")
            #expect(try await bed.droneStates() == ["drone-001": "flying"])
            #expect(try await bed.harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 2)

            try await bed.send(DeliveryCompleted(droneId: "drone-001", packageId: package.packageId), deliveryId: delivery)
            let released = try await bed.emitted(capture, expecting: 1)
            #expect(try released.payloads(DroneReleased.self).map(\.reason.code) == [.deliveryCompleted])
            #expect(try released.payloads(DroneReleased.self).first?.droneId == "drone-001")
            #expect(try await bed.droneStates() == ["drone-001": "idle"])
            #expect(try await bed.harness.count("SELECT count(*) FROM drones WHERE delivery_id IS NOT NULL") == 0)
            let row = try #require(try await bed.allocation(delivery))
            #expect(row.state == "released")
            #expect(row.releaseReason == "DELIVERY_COMPLETED")
            #expect(try await bed.harness.count("""
                SELECT count(*) FROM allocations
                WHERE picked_up_at IS NOT NULL AND delivered_at IS NOT NULL AND released_at IS NOT NULL
                """) == 1)

            // Back in the pool: the next delivery gets the (only) drone.
            let next = UUID()
            try await bed.send(DroneTestBed.package(), deliveryId: next)
            let again = try await bed.emitted(capture, expecting: 1)
            #expect(try again.payloads(DroneAllocated.self).map(\.droneId) == ["drone-001"])
            #expect(again.first?.deliveryId == next)
        }
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("each compensation releases the allocated drone with its reason")
    func compensationsRelease() async throws {
        let bed = try DroneTestBed(fleet: "3x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let rejected = UUID()
        let failed = UUID()
        let cancelled = UUID()
        try await bed.harness.withRunningService {
            for delivery in [rejected, failed, cancelled] {
                try await bed.send(DroneTestBed.package(), deliveryId: delivery)
            }
            #expect(try await bed.droneStates().values.allSatisfy { $0 == "allocated" })
            try await bed.send(Self.suspended, deliveryId: rejected)
            try await bed.send(Self.noFlyZone, deliveryId: failed)
            try await bed.send(Self.cancelled, deliveryId: cancelled)
        }
        let emitted = try await bed.emitted(capture, expecting: 6)
        #expect(emitted.count == 6)
        let allocatedDrones = Dictionary(uniqueKeysWithValues: try emitted.ofType(.droneAllocated).map {
            ($0.deliveryId, try $0.payload(as: DroneAllocated.self).droneId)
        })
        let releases = Dictionary(uniqueKeysWithValues: try emitted.ofType(.droneReleased).map {
            ($0.deliveryId, try $0.payload(as: DroneReleased.self))
        })
        #expect(releases[rejected]?.reason.code == .accountRejected)
        #expect(releases[rejected]?.reason.message.contains("ACCOUNT_SUSPENDED") == true)
        #expect(releases[failed]?.reason.code == .schedulingFailed)
        #expect(releases[cancelled]?.reason.code == .deliveryCancelled)
        for delivery in [rejected, failed, cancelled] {
            #expect(releases[delivery]?.droneId == allocatedDrones[delivery])
        }
        #expect(try await bed.droneStates().values.allSatisfy { $0 == "idle" })
        #expect(try await bed.allocation(rejected)?.releaseReason == "ACCOUNT_REJECTED")
        #expect(try await bed.allocation(failed)?.releaseReason == "SCHEDULING_FAILED")
        #expect(try await bed.allocation(cancelled)?.releaseReason == "DELIVERY_CANCELLED")
        #expect(try await bed.harness.count("SELECT count(*) FROM allocations WHERE state = 'released'") == 3)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a compensation before package.created leaves a tombstone: no allocation, no event, drones idle")
    func compensationBeforePackage() async throws {
        let bed = try DroneTestBed(fleet: "3x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let rejected = UUID()
        let cancelled = UUID()
        let failed = UUID()
        let control = UUID()
        try await bed.harness.withRunningService {
            try await bed.send(Self.suspended, deliveryId: rejected)
            try await bed.send(Self.cancelled, deliveryId: cancelled)
            try await bed.send(Self.noFlyZone, deliveryId: failed)
            for delivery in [rejected, cancelled, failed] {
                try await bed.send(DroneTestBed.package(), deliveryId: delivery)
            }
            // The same service still allocates for a delivery nobody compensated.
            try await bed.send(DroneTestBed.package(), deliveryId: control)
        }
        let emitted = try await bed.emitted(capture, expecting: 1, timeout: .seconds(5))
        #expect(emitted.map(\.type) == [.droneAllocated])
        #expect(emitted.map(\.deliveryId) == [control])
        #expect(try await bed.harness.count("SELECT count(*) FROM drones WHERE state = 'idle'") == 2)
        for (delivery, reason) in [(rejected, "ACCOUNT_REJECTED"), (cancelled, "DELIVERY_CANCELLED"), (failed, "SCHEDULING_FAILED")] {
            let row = try #require(try await bed.allocation(delivery))
            #expect(row.state == "cancelled-before-allocation")
            #expect(row.droneId == nil)
            #expect(row.releaseReason == reason)
        }
        #expect(try await bed.harness.count("SELECT count(*) FROM drones WHERE delivery_id = ANY($1)", [.uuidArray([rejected, cancelled, failed])]) == 0)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("duplicate package.created (same event id, and another id for the same delivery) allocates once")
    func duplicatePackageCreated() async throws {
        let bed = try DroneTestBed(fleet: "3x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let delivery = UUID()
        let package = DroneTestBed.package()
        let first = UUID()
        let other = UUID()
        let late = UUID()
        try await bed.harness.withRunningService {
            // In one batch, so the copies are handled in parallel by the two workers.
            try await bed.harness.publishMessages([
                try bed.message(package, deliveryId: delivery, id: first),
                try bed.message(package, deliveryId: delivery, id: other),
                try bed.message(package, deliveryId: delivery, id: first),
            ])
            try await bed.awaitHandled([first, other])
            // Redelivered later, and yet another copy.
            try await bed.send(package, deliveryId: delivery, id: first)
            try await bed.send(package, deliveryId: delivery, id: late)
        }
        let emitted = try await bed.emitted(capture, expecting: 2, timeout: .seconds(5))
        #expect(emitted.map(\.type) == [.droneAllocated])
        #expect(try await bed.harness.count("SELECT count(*) FROM allocations") == 1)
        #expect(try await bed.harness.count("SELECT count(*) FROM drones WHERE state = 'allocated'") == 1)
        #expect(try await bed.harness.count("SELECT count(*) FROM inbox") == 3)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("two compensations (and a duplicate) release the drone once")
    func compensationsReleaseOnce() async throws {
        let bed = try DroneTestBed(fleet: "3x5kg/30km/60kmh")
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let delivery = UUID()
        let rejection = UUID()
        let failure = UUID()
        try await bed.harness.withRunningService {
            try await bed.send(DroneTestBed.package(), deliveryId: delivery)
            try await bed.harness.publishMessages([
                try bed.message(Self.suspended, deliveryId: delivery, id: rejection),
                try bed.message(Self.noFlyZone, deliveryId: delivery, id: failure),
                try bed.message(Self.suspended, deliveryId: delivery, id: rejection),
            ])
            try await bed.awaitHandled([rejection, failure])
            try await bed.send(Self.cancelled, deliveryId: delivery)
        }
        let emitted = try await bed.emitted(capture, expecting: 3, timeout: .seconds(5))
        #expect(emitted.map(\.type) == [.droneAllocated, .droneReleased])
        let release = try #require(try emitted.payloads(DroneReleased.self).first)
        #expect([.accountRejected, .schedulingFailed].contains(release.reason.code))
        #expect(try await bed.droneStates().values.allSatisfy { $0 == "idle" })
        #expect(try await bed.allocation(delivery)?.releaseReason == release.reason.code.rawValue)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a cancellation after the flight was scheduled, before pickup: released, and the pickup never flies",
        arguments: Cancellation.allCases)
    func cancelledBeforePickup(_ cancellation: Cancellation) async throws {
        // Real time: the package is ready in an hour, so the pickup deadline is an hour away.
        let bed = try DroneTestBed(fleet: "1x5kg/30km/60kmh", timeScale: 1)
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let delivery = UUID()
        let package = DroneTestBed.package(pickupTime: Date().addingTimeInterval(3600))
        try await bed.harness.withRunningService {
            try await bed.send(package, deliveryId: delivery)
            let allocation = try #require(try await bed.emitted(capture, expecting: 1).payloads(DroneAllocated.self).first)
            try await bed.send(Self.scheduled(allocation), deliveryId: delivery)
            #expect(try await bed.harness.count("""
                SELECT count(*) FROM deadlines
                WHERE name = 'flight-pickup' AND fire_at > now() + interval '50 minutes' AND fired_at IS NULL AND cancelled_at IS NULL
                """) == 1)

            try await cancellation.send(bed, deliveryId: delivery)
            let released = try await bed.emitted(capture, expecting: 1)
            #expect(try released.payloads(DroneReleased.self).map(\.reason.code) == [.deliveryCancelled])
            #expect(try await bed.droneStates() == ["drone-001": "idle"])
            #expect(try await bed.harness.count(
                "SELECT count(*) FROM deadlines WHERE name = 'flight-pickup' AND cancelled_at IS NOT NULL AND fired_at IS NULL") == 1)

            // Even if the pickup deadline fired now, its handler sees the release and does nothing.
            _ = try await bed.harness.query(
                "UPDATE deadlines SET cancelled_at = NULL, fire_at = clock_timestamp() WHERE name = 'flight-pickup' RETURNING id")
            try await waitUntil("the forced pickup deadline fired") {
                try await bed.harness.count("SELECT count(*) FROM deadlines WHERE name = 'flight-pickup' AND fired_at IS NOT NULL") == 1
            }
            let afterwards = try await bed.emitted(capture, expecting: 1, timeout: .seconds(2))
            #expect(afterwards.isEmpty, "\(afterwards.map(\.type))")
            #expect(try await bed.harness.count("SELECT count(*) FROM deadlines WHERE name = 'flight-dropoff'") == 0)
            #expect(try await bed.allocation(delivery)?.state == "released")
            #expect(try await bed.droneStates() == ["drone-001": "idle"])
        }
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a flying drone is not released by a cancellation; delivery.completed frees it and stops the simulation",
        arguments: Cancellation.allCases)
    func flyingDroneIsNotReleasedByCancellation(_ cancellation: Cancellation) async throws {
        // Real time: the pickup is at the drone's base (at once), the drop-off 5 km away (5 minutes).
        let bed = try DroneTestBed(fleet: "1x5kg/30km/60kmh", timeScale: 1)
        let capture = try await bed.harness.captureQueue(["drone.#"])
        let delivery = UUID()
        let base = try #require(bed.homes["drone-001"])
        let package = DroneTestBed.package(
            pickup: base, dropoff: GreatCircle.destination(from: base, distanceKm: 5, bearingDegrees: 90))
        try await bed.harness.withRunningService {
            try await bed.send(package, deliveryId: delivery)
            let allocation = try #require(try await bed.emitted(capture, expecting: 1).payloads(DroneAllocated.self).first)
            try await bed.send(Self.scheduled(allocation), deliveryId: delivery)
            try await waitUntil("the pickup") { try await bed.allocation(delivery)?.state == "flying" }
            let pickedUp = try await bed.emitted(capture, expecting: 1)
            #expect(pickedUp.map(\.type) == [.dronePickedUp])

            try await cancellation.send(bed, deliveryId: delivery)
            #expect(try await bed.emitted(capture, expecting: 1, timeout: .seconds(2)).isEmpty)
            #expect(try await bed.allocation(delivery)?.state == "flying")
            #expect(try await bed.droneStates() == ["drone-001": "flying"])
            #expect(try await bed.harness.count(
                "SELECT count(*) FROM deadlines WHERE name = 'flight-dropoff' AND fired_at IS NULL AND cancelled_at IS NULL") == 1)

            try await bed.send(DeliveryCompleted(droneId: "drone-001", packageId: package.packageId), deliveryId: delivery)
            let released = try await bed.emitted(capture, expecting: 1)
            #expect(try released.payloads(DroneReleased.self).map(\.reason.code) == [.deliveryCompleted])
            #expect(try await bed.droneStates() == ["drone-001": "idle"])
            #expect(try await bed.harness.count(
                "SELECT count(*) FROM deadlines WHERE name = 'flight-dropoff' AND cancelled_at IS NOT NULL") == 1)
            // A second completion does nothing.
            try await bed.send(DeliveryCompleted(droneId: "drone-001", packageId: package.packageId), deliveryId: delivery)
            #expect(try await bed.emitted(capture, expecting: 1, timeout: .seconds(2)).isEmpty)
        }
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }
}
