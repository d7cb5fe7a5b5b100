import AMQP
import Choreography
import Contracts
import DeliveryService
import Foundation
import Postgres
import ServiceTestSupport
import Testing

/// The delivery service against the real RabbitMQ and PostgreSQL: its inputs published as their
/// producers would, what it emits captured from the test exchange.
@Suite("Delivery service: join, scheduling, flight, cancellation")
struct DeliveryServiceIntegrationTests {
    /// Every event type the delivery service emits.
    static let outputs = [
        "delivery.scheduled", "delivery.scheduling-failed", "delivery.completed", "delivery.cancelled",
        "delivery.cancellation-refused",
    ]

    @Test("the join schedules in either order, and the flight completes")
    func happyJoinInBothOrders() async throws {
        let bed = try DeliveryTestBed()
        let capture = try await bed.harness.captureQueue(Self.outputs)
        let accountFirst = UUID()
        let droneFirst = UUID()
        let allocation = DeliveryTestBed.allocation()
        let accountFirstDrone = try await bed.harness.withRunningService {
            try await bed.send(AccountValidated(ownerId: "acct-active-001", dailyLimit: 10, deliveriesToday: 1), accountFirst)
            try await bed.send(allocation, droneFirst)
            let droneEvent = try await bed.send(allocation, accountFirst)
            try await bed.send(AccountValidated(ownerId: "acct-near-limit-003", dailyLimit: 3, deliveriesToday: 2), droneFirst)
            try await bed.send(DronePickedUp(droneId: allocation.droneId, packageId: allocation.packageId, dropoffEta: allocation.dropoffEta), accountFirst)
            try await bed.send(
                DroneDelivered(droneId: allocation.droneId, packageId: allocation.packageId, dropoffLocation: allocation.dropoffLocation),
                accountFirst)
            return droneEvent
        }
        let emitted = try await bed.harness.drain(capture, expecting: 3)
        #expect(emitted.map(\.type.rawValue).sorted() == ["delivery.completed", "delivery.scheduled", "delivery.scheduled"])
        let first = try #require(emitted.first { $0.deliveryId == accountFirst && $0.type == .deliveryScheduled })
        #expect(try first.payload(as: DeliveryScheduled.self) == DeliveryScheduled(
            ownerId: "acct-active-001", droneId: allocation.droneId, packageId: allocation.packageId,
            pickupEta: allocation.pickupEta, dropoffEta: allocation.dropoffEta))
        #expect(first.causationId == accountFirstDrone)
        let second = try #require(emitted.first { $0.deliveryId == droneFirst && $0.type == .deliveryScheduled })
        #expect(try second.payload(as: DeliveryScheduled.self).ownerId == "acct-near-limit-003")
        let completed = try #require(emitted.first { $0.type == .deliveryCompleted })
        #expect(completed.deliveryId == accountFirst)
        #expect(try completed.payload(as: DeliveryCompleted.self) == DeliveryCompleted(droneId: allocation.droneId, packageId: allocation.packageId))
        #expect(try await bed.state(accountFirst) == "completed")
        #expect(try await bed.state(droneFirst) == "scheduled")
        // The join timeout of both was cancelled when the join completed, so it can never fire.
        #expect(try await bed.harness.count(
            "SELECT count(*) FROM deadlines WHERE name = 'join-timeout' AND cancelled_at IS NOT NULL AND fired_at IS NULL") == 2)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a drop-off in a no-fly zone or an unreachable deadline fails scheduling, naming drone and package")
    func schedulingFailures() async throws {
        let bed = try DeliveryTestBed()
        let capture = try await bed.harness.captureQueue(Self.outputs)
        let noFly = UUID()
        let late = UUID()
        let inZone = DeliveryTestBed.allocation(dropoff: GeoLocation(latitude: 47.4602, longitude: -122.3088))
        let tooLate = DeliveryTestBed.allocation(dropoffEtaMinutes: 90, deadlineMinutes: 60)
        try await bed.harness.withRunningService {
            try await bed.send(AccountValidated.sample(), noFly)
            try await bed.send(inZone, noFly)
            try await bed.send(tooLate, late)
            try await bed.send(AccountValidated.sample(), late)
        }
        let emitted = try await bed.harness.drain(capture, expecting: 2)
        #expect(emitted.count == 2)
        let zoneFailure = try #require(emitted.first { $0.deliveryId == noFly }).payload(as: DeliverySchedulingFailed.self)
        #expect(zoneFailure.reason.code == .noFlyZone)
        #expect(zoneFailure.reason.message.contains("sea-tac-airport"))
        #expect(zoneFailure.droneId == inZone.droneId && zoneFailure.packageId == inZone.packageId)
        let lateFailure = try #require(emitted.first { $0.deliveryId == late }).payload(as: DeliverySchedulingFailed.self)
        #expect(lateFailure.reason.code == .deadlineUnreachable)
        #expect(lateFailure.droneId == tooLate.droneId && lateFailure.packageId == tooLate.packageId)
        #expect(try await bed.state(noFly) == "failed")
        #expect(try await bed.harness.count(
            "SELECT count(*) FROM deliveries WHERE failure_code IN ('NO_FLY_ZONE', 'DEADLINE_UNREACHABLE')") == 2)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("forward-failure injection fails the join with DEADLINE_UNREACHABLE and the injected-fault message")
    func forwardFailureInjection() async throws {
        let bed = try DeliveryTestBed(forwardFailureProbability: 1)
        let capture = try await bed.harness.captureQueue(Self.outputs)
        let deliveryId = UUID()
        let allocation = DeliveryTestBed.allocation()
        try await bed.harness.withRunningService {
            try await bed.send(AccountValidated.sample(), deliveryId)
            try await bed.send(allocation, deliveryId)
        }
        let emitted = try await bed.harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        let failure = try #require(emitted.first).payload(as: DeliverySchedulingFailed.self)
        #expect(failure.reason == Reason(.deadlineUnreachable, "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)"))
        #expect(failure.droneId == allocation.droneId && failure.packageId == allocation.packageId)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("the join timeout (from the request or the first branch) emits JOIN_TIMED_OUT once per delivery with two instances; late branches change nothing")
    func joinTimeoutFiresOnce() async throws {
        let bed = try DeliveryTestBed(joinTimeout: .seconds(1))
        let capture = try await bed.harness.captureQueue(Self.outputs)
        let accountOnly = (0..<4).map { _ in UUID() }
        let droneOnly = (0..<2).map { _ in UUID() }
        // Both branch events lost: the timeout runs from the request.
        let requestOnly = (0..<2).map { _ in UUID() }
        let allocation = DeliveryTestBed.allocation()
        try await bed.harness.withRunningService(instances: 2) {
            for id in accountOnly { try await bed.send(AccountValidated.sample(), id) }
            for id in droneOnly { try await bed.send(allocation, id) }
            for id in requestOnly { try await bed.send(DeliveryRequested.sample(), id) }
            try await waitUntil("eight join timeouts") {
                try await bed.harness.count("SELECT count(*) FROM deliveries WHERE failure_code = 'JOIN_TIMED_OUT'") == 8
            }
            // The other branch, too late.
            try await bed.send(allocation, accountOnly[0])
            try await bed.send(AccountValidated.sample(), droneOnly[0])
            // Handled (send waits for it) and nothing left to fire: no later event can follow.
            #expect(try await bed.harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NULL AND cancelled_at IS NULL") == 0)
        }
        let emitted = try await bed.harness.drain(capture, expecting: 8)
        #expect(emitted.count == 8)
        #expect(Set(emitted.map(\.deliveryId)) == Set(accountOnly + droneOnly + requestOnly))
        for event in emitted {
            let failure = try event.payload(as: DeliverySchedulingFailed.self)
            #expect(failure.reason.code == .joinTimedOut)
            if droneOnly.contains(event.deliveryId) {
                #expect(failure.droneId == allocation.droneId && failure.packageId == allocation.packageId)
            } else {
                #expect(failure.droneId == nil && failure.packageId == nil)
            }
        }
        #expect(try await bed.harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 8)
        #expect(try await bed.harness.count("SELECT count(*) FROM deliveries WHERE state = 'failed' AND drone_id IS NULL") == 6)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a far-off pickup: the join timeout runs from a lead time before it, also when a branch started it first")
    func farOffPickupPostponesTheJoinTimeout() async throws {
        let bed = try DeliveryTestBed(joinTimeout: .seconds(60))
        let requestFirst = UUID()
        let branchFirst = UUID()
        var farOff = DeliveryRequested.sample()
        farOff.pickupTime = Date().addingTimeInterval(10 * 3_600)
        farOff.deadline = farOff.pickupTime.addingTimeInterval(3_600)
        let request = farOff
        try await bed.harness.withRunningService {
            try await bed.send(request, requestFirst)
            try await bed.send(AccountValidated.sample(), branchFirst)
            #expect(try await bed.harness.count(
                "SELECT count(*) FROM deadlines WHERE delivery_id = $1 AND fire_at < now() + interval '2 minutes'", [.uuid(branchFirst)]) == 1)
            try await bed.send(request, branchFirst)
        }
        // Ten hours ahead, two hours' lead, one minute's timeout: due in about 8 h 1 min, for both.
        #expect(try await bed.harness.count("""
            SELECT count(*) FROM deadlines WHERE name = 'join-timeout'
              AND fire_at BETWEEN now() + interval '7 hours 55 minutes' AND now() + interval '8 hours 2 minutes'
            """) == 2)
        try await bed.harness.cleanUp()
    }

    @Test("cancellation: before the join, after scheduling (the drone decides, in either order), racing the pickup, after pickup, after completion, twice, and for an unknown delivery")
    func cancellations() async throws {
        let bed = try DeliveryTestBed()
        let capture = try await bed.harness.captureQueue(Self.outputs)
        let beforeJoin = UUID()
        let afterScheduled = UUID()
        let afterPickup = UUID()
        let afterCompletion = UUID()
        let unknown = UUID()
        let releasedFirst = UUID()
        let racedPickup = UUID()
        let allocation = DeliveryTestBed.allocation()
        let released = DroneReleased(droneId: allocation.droneId, reason: Reason(.deliveryCancelled, "Released for the cancellation."))
        let pickedUp = DronePickedUp(droneId: allocation.droneId, packageId: allocation.packageId, dropoffEta: allocation.dropoffEta)
        let delivered = DroneDelivered(droneId: allocation.droneId, packageId: allocation.packageId, dropoffLocation: allocation.dropoffLocation)
        let cancel = DeliveryCancellationRequested.sample()
        try await bed.harness.withRunningService {
            try await bed.send(AccountValidated.sample(), beforeJoin)
            try await bed.send(cancel, beforeJoin)
            try await bed.send(allocation, beforeJoin)

            // After scheduling the drone service decides: here it released the drone.
            try await bed.send(AccountValidated.sample(), afterScheduled)
            try await bed.send(allocation, afterScheduled)
            try await bed.send(cancel, afterScheduled)
            #expect(try await bed.state(afterScheduled) == "cancelling")
            try await bed.send(released, afterScheduled)
            try await bed.send(cancel, afterScheduled)
            // The drone's release may arrive before the request.
            try await bed.send(AccountValidated.sample(), releasedFirst)
            try await bed.send(allocation, releasedFirst)
            try await bed.send(released, releasedFirst)
            #expect(try await bed.state(releasedFirst) == "scheduled")
            try await bed.send(cancel, releasedFirst)
            // The drone picked up before it saw the request: refused, and the flight completes.
            try await bed.send(AccountValidated.sample(), racedPickup)
            try await bed.send(allocation, racedPickup)
            try await bed.send(cancel, racedPickup)
            try await bed.send(pickedUp, racedPickup)
            try await bed.send(delivered, racedPickup)

            for id in [afterPickup, afterCompletion] {
                try await bed.send(allocation, id)
                try await bed.send(AccountValidated.sample(), id)
                try await bed.send(pickedUp, id)
            }
            try await bed.send(delivered, afterCompletion)
            try await bed.send(cancel, afterPickup)
            try await bed.send(cancel, afterCompletion)

            try await bed.send(cancel, unknown)
            try await bed.send(AccountValidated.sample(), unknown)
            try await bed.send(allocation, unknown)
        }
        let emitted = try await bed.harness.drain(capture, expecting: 15)
        func events(_ id: UUID) -> [String] { emitted.filter { $0.deliveryId == id }.map(\.type.rawValue).sorted() }
        #expect(events(beforeJoin) == ["delivery.cancelled"])
        #expect(events(afterScheduled) == ["delivery.cancellation-refused", "delivery.cancelled", "delivery.scheduled"])
        #expect(events(afterPickup) == ["delivery.cancellation-refused", "delivery.scheduled"])
        #expect(events(afterCompletion) == ["delivery.cancellation-refused", "delivery.completed", "delivery.scheduled"])
        #expect(events(unknown) == ["delivery.cancelled"])
        #expect(events(releasedFirst) == ["delivery.cancelled", "delivery.scheduled"])
        #expect(events(racedPickup) == ["delivery.cancellation-refused", "delivery.completed", "delivery.scheduled"])
        #expect(emitted.count == 15)

        let early = try #require(emitted.first { $0.deliveryId == beforeJoin }).payload(as: DeliveryCancelled.self)
        #expect(early.reason == Reason(.customerRequest, cancel.reason.message))
        #expect(early.droneId == nil && early.packageId == nil)
        let scheduled = try #require(emitted.first { $0.deliveryId == afterScheduled && $0.type == .deliveryCancelled })
            .payload(as: DeliveryCancelled.self)
        #expect(scheduled.droneId == allocation.droneId && scheduled.packageId == allocation.packageId)
        func refusal(_ id: UUID) throws -> DeliveryCancellationRefused? {
            try emitted.first { $0.deliveryId == id && $0.type == .deliveryCancellationRefused }?.payload(as: DeliveryCancellationRefused.self)
        }
        #expect(try refusal(afterScheduled)?.reason.code == .alreadyCancelled)
        #expect(try refusal(afterPickup)?.reason.code == .alreadyPickedUp)
        #expect(try refusal(afterPickup)?.droneId == allocation.droneId)
        #expect(try refusal(afterCompletion)?.reason.code == .alreadyCompleted)
        #expect(try refusal(racedPickup)?.reason.code == .alreadyPickedUp)
        #expect(try await bed.state(racedPickup) == "completed")
        #expect(try await bed.state(releasedFirst) == "cancelled")
        let tombstone = try #require(emitted.first { $0.deliveryId == unknown }).payload(as: DeliveryCancelled.self)
        #expect(tombstone.droneId == nil && tombstone.packageId == nil)

        #expect(try await bed.state(beforeJoin) == "cancelled")
        #expect(try await bed.state(unknown) == "cancelled")
        #expect(try await bed.state(afterPickup) == "picked-up")
        #expect(try await bed.state(afterCompletion) == "completed")
        // Late branches did not record anything on cancelled deliveries.
        #expect(try await bed.harness.count(
            "SELECT count(*) FROM deliveries WHERE delivery_id = ANY($1) AND drone_id IS NULL", [.uuidArray([beforeJoin, unknown])]) == 2)
        // The join timeout of the delivery cancelled before its join was cancelled too.
        #expect(try await bed.harness.count(
            "SELECT count(*) FROM deadlines WHERE delivery_id = $1 AND cancelled_at IS NOT NULL", [.uuid(beforeJoin)]) == 1)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("an overdue pickup asks the drone service once; its release cancels with PICKUP_OVERDUE, a late pickup flies on, a timely one stops the deadline")
    func overduePickup() async throws {
        // The pickup ETA is now and the grace a second: the deadline is due at once for the first
        // two; the third is picked up before its (hour-long) ETA.
        let bed = try DeliveryTestBed(pickupGrace: 1)
        let capture = try await bed.harness.captureQueue(Self.outputs + ["delivery.pickup-overdue"])
        let released = UUID()
        let lateFlight = UUID()
        let onTime = UUID()
        let due = DeliveryTestBed.allocation(pickupEtaMinutes: 0)
        let later = DeliveryTestBed.allocation(pickupEtaMinutes: 60, dropoffEtaMinutes: 70, deadlineMinutes: 120)
        try await bed.harness.withRunningService(instances: 2) {
            for (id, allocation) in [(released, due), (lateFlight, due), (onTime, later)] {
                try await bed.send(AccountValidated.sample(), id)
                try await bed.send(allocation, id)
            }
            try await bed.send(DronePickedUp(droneId: later.droneId, packageId: later.packageId, dropoffEta: later.dropoffEta), onTime)
            try await waitUntil("two overdue pickups") {
                let states = [try await bed.state(released), try await bed.state(lateFlight)]
                return states == ["cancelling", "cancelling"]
            }
            // The drone service decides: it released one drone, the other had flown.
            try await bed.send(DroneReleased(droneId: due.droneId, reason: Reason(.deliveryCancelled, "Released: the pickup is overdue.")), released)
            try await bed.send(DronePickedUp(droneId: due.droneId, packageId: due.packageId, dropoffEta: due.dropoffEta), lateFlight)
            try await bed.send(DroneDelivered(droneId: due.droneId, packageId: due.packageId, dropoffLocation: due.dropoffLocation), lateFlight)
        }
        let emitted = try await bed.harness.drain(capture, expecting: 7)
        func events(_ id: UUID) -> [String] { emitted.filter { $0.deliveryId == id }.map(\.type.rawValue).sorted() }
        #expect(events(released) == ["delivery.cancelled", "delivery.pickup-overdue", "delivery.scheduled"])
        #expect(events(lateFlight) == ["delivery.completed", "delivery.pickup-overdue", "delivery.scheduled"])
        #expect(events(onTime) == ["delivery.scheduled"])
        let cancelled = try #require(emitted.first { $0.type == .deliveryCancelled }).payload(as: DeliveryCancelled.self)
        #expect(cancelled.reason.code == .pickupOverdue && cancelled.droneId == due.droneId && cancelled.packageId == due.packageId)
        let overdue = try #require(emitted.first { $0.deliveryId == released && $0.type == .deliveryPickupOverdue })
            .payload(as: DeliveryPickupOverdue.self)
        #expect(overdue.droneId == due.droneId && overdue.reason.message.contains("1 s after the pickup ETA"))
        #expect(try await bed.state(released) == "cancelled")
        #expect(try await bed.state(lateFlight) == "completed")
        #expect(try await bed.state(onTime) == "picked-up")
        #expect(try await bed.harness.count(
            "SELECT count(*) FROM deadlines WHERE name = 'pickup-overdue' AND fired_at IS NOT NULL") == 2)
        #expect(try await bed.harness.count(
            "SELECT count(*) FROM deadlines WHERE name = 'pickup-overdue' AND delivery_id = $1 AND cancelled_at IS NOT NULL", [.uuid(onTime)]) == 1)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a rejected branch fails the delivery silently and nothing is ever scheduled")
    func branchFailures() async throws {
        let bed = try DeliveryTestBed()
        let capture = try await bed.harness.captureQueue(Self.outputs)
        let accountRejected = UUID()
        let allocationFailed = UUID()
        let packageRejected = UUID()
        let allocation = DeliveryTestBed.allocation()
        try await bed.harness.withRunningService {
            try await bed.send(allocation, accountRejected)
            try await bed.send(AccountRejected.sample(), accountRejected)

            try await bed.send(AccountValidated.sample(), allocationFailed)
            try await bed.send(DroneAllocationFailed.sample(), allocationFailed)

            try await bed.send(PackageRejected.sample(), packageRejected)
            try await bed.send(AccountValidated.sample(), packageRejected)
        }
        // Every join timeout the first branches started was cancelled by the failure, so nothing
        // can ever fire (state, not a wait longer than the timeout).
        #expect(try await bed.harness.count("SELECT count(*) FROM deadlines") == 2)
        #expect(try await bed.harness.count("SELECT count(*) FROM deadlines WHERE cancelled_at IS NULL OR fired_at IS NOT NULL") == 0)
        let emitted = try await bed.harness.drain(capture, expecting: 0)
        #expect(emitted.isEmpty, "\(emitted.map(\.type))")
        let rows = try await bed.harness.query(
            "SELECT delivery_id, state, account_state, failure_code, failure_message FROM deliveries")
        var byId: [UUID: (state: String, account: String, code: String?, message: String?)] = [:]
        for row in rows {
            byId[try row.decode(UUID.self, column: "delivery_id")] = (
                try row.decode(String.self, column: "state"), try row.decode(String.self, column: "account_state"),
                try row.decode(String?.self, column: "failure_code"), try row.decode(String?.self, column: "failure_message"))
        }
        #expect(byId[accountRejected]?.state == "failed")
        #expect(byId[accountRejected]?.account == "rejected")
        #expect(byId[accountRejected]?.code == "ACCOUNT_REJECTED")
        #expect(byId[accountRejected]?.message?.hasPrefix("ACCOUNT_SUSPENDED") == true)
        #expect(byId[allocationFailed]?.state == "failed")
        #expect(byId[allocationFailed]?.code == "DRONE_ALLOCATION_FAILED")
        #expect(byId[packageRejected]?.state == "failed")
        #expect(byId[packageRejected]?.code == "PACKAGE_REJECTED")
        #expect(byId[packageRejected]?.account == "pending")
        #expect(try await bed.harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 0)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("duplicates and concurrent branches on two instances have exactly one effect")
    func duplicatesHaveOneEffect() async throws {
        let bed = try DeliveryTestBed()
        let capture = try await bed.harness.captureQueue(Self.outputs)
        let deliveries = (0..<10).map { _ in UUID() }
        let cancelled = UUID()
        let allocation = DeliveryTestBed.allocation()
        try await bed.harness.withRunningService(instances: 2) {
            var messages: [AMQPOutgoingMessage] = []
            for id in deliveries {
                let account = try bed.message(AccountValidated.sample(), id)
                let drone = try bed.message(allocation, id)
                messages += [account, drone, drone, account]
            }
            let cancel = try bed.message(DeliveryCancellationRequested.sample(), cancelled)
            messages += [cancel, cancel]
            try await bed.harness.publishMessages(messages)
            try await bed.harness.publishMessages([cancel])
            // 43 copies of 21 events: every copy settled, 22 of them skipped as duplicates.
            try await waitUntil("21 events handled and 22 duplicates skipped") {
                bed.harness.eventsHandled == 21 && bed.harness.duplicatesSkipped == 22
            }
        }
        let emitted = try await bed.harness.drain(capture, expecting: 11)
        #expect(emitted.count == 11)
        #expect(emitted.filter { $0.type == .deliveryScheduled }.map(\.deliveryId).sorted { $0.uuidString < $1.uuidString }
            == deliveries.sorted { $0.uuidString < $1.uuidString })
        #expect(emitted.filter { $0.type == .deliveryCancelled }.map(\.deliveryId) == [cancelled])
        #expect(try await bed.harness.count("SELECT count(*) FROM deliveries WHERE state = 'scheduled'") == 10)
        #expect(try await bed.harness.count("SELECT count(*) FROM outbox") == 0)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }
}

/// One delivery service under test, with helpers to feed it events one at a time.
struct DeliveryTestBed {
    let harness: ServiceHarness

    /// A delivery service with a short join timeout and, optionally, forward-failure injection.
    init(joinTimeout: Duration = .seconds(3600), pickupGrace: TimeInterval = 3600, forwardFailureProbability: Double = 0) throws {
        harness = try ServiceHarness({ name, schema in
            try DeliveryService.definition(
                name: name, schema: schema, settings: DeliverySettings(joinTimeout: joinTimeout, pickupGrace: pickupGrace))
        }, configure: { configuration in
            configuration.faults.forwardFailureProbability = forwardFailureProbability
        })
    }

    /// A `drone.allocated` with ETAs and a deadline relative to now (whole milliseconds, as
    /// events carry them); the drop-off is in Seattle (outside the default no-fly zone) unless given.
    static func allocation(
        dropoff: GeoLocation = GeoLocation(latitude: 47.6588, longitude: -122.3125), pickupEtaMinutes: Double = 10,
        dropoffEtaMinutes: Double = 20, deadlineMinutes: Double = 60
    ) -> DroneAllocated {
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1_000).rounded() / 1_000)
        return DroneAllocated(
            droneId: "drone-011", packageId: UUID(), pickupEta: now.addingTimeInterval(pickupEtaMinutes * 60),
            dropoffEta: now.addingTimeInterval(dropoffEtaMinutes * 60), dropoffLocation: dropoff,
            deadline: now.addingTimeInterval(deadlineMinutes * 60))
    }

    /// Publishes `event` for `deliveryId` and waits until the service handled it; returns its id.
    @discardableResult
    func send<Event: DomainEvent>(_ event: Event, _ deliveryId: UUID) async throws -> UUID {
        let id = try await harness.publish(event, deliveryId: deliveryId)
        try await waitUntil("\(Event.eventType) handled") {
            try await harness.count("SELECT count(*) FROM inbox WHERE event_id = $1", [.uuid(id)]) == 1
        }
        return id
    }

    /// The message for `event`, as its producer would publish it.
    func message<Event: DomainEvent>(_ event: Event, _ deliveryId: UUID) throws -> AMQPOutgoingMessage {
        try EventMessage.make(event, deliveryId: deliveryId, exchange: harness.exchange)
    }

    /// The delivery's state column.
    func state(_ deliveryId: UUID) async throws -> String? {
        try await harness.query("SELECT state FROM deliveries WHERE delivery_id = $1", [.uuid(deliveryId)]).first?
            .decode(String.self, column: "state")
    }
}
