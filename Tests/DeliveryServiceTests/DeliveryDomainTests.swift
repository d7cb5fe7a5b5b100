import Choreography
import Contracts
import DeliveryService
import Foundation
import Testing

/// The delivery service's pure rules: no-fly zones, the deadline, zone parsing, settings, the join
/// decision and the state machine, with no I/O.
@Suite("Delivery domain rules")
struct DeliveryDomainTests {
    static let seattle = GeoLocation(latitude: 47.6062, longitude: -122.3321)
    static let seaTac = GeoLocation(latitude: 47.4502, longitude: -122.3088)
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    static func assignment(
        dropoff: GeoLocation = seattle, dropoffEta: Date = now.addingTimeInterval(900), deadline: Date = now.addingTimeInterval(3600)
    ) -> DroneAssignment {
        DroneAssignment(
            droneId: "drone-007", packageId: UUID(uuidString: "9a1c3e5f-7b2d-4f60-8a4c-2e6b8d0f1a3c")!,
            pickupEta: now.addingTimeInterval(300), dropoffEta: dropoffEta, dropoffLocation: dropoff, deadline: deadline)
    }

    static let rules = SchedulingRules(noFlyZones: [.seaTacAirport])

    // MARK: Great-circle distance and zones

    @Test("great-circle distances match known values")
    func greatCircleDistances() {
        #expect(GreatCircle.distanceKm(from: Self.seattle, to: Self.seattle) == 0)
        // Seattle downtown to Sea-Tac: about 17.4 km.
        let seattleToSeaTac = GreatCircle.distanceKm(from: Self.seattle, to: Self.seaTac)
        #expect(abs(seattleToSeaTac - 17.45) < 0.2)
        // One degree of latitude is about 111.2 km on the mean sphere.
        let oneDegree = GreatCircle.distanceKm(
            from: GeoLocation(latitude: 0, longitude: 0), to: GeoLocation(latitude: 1, longitude: 0))
        #expect(abs(oneDegree - 111.19) < 0.01)
        // Symmetric, and antipodes are half the circumference away.
        #expect(GreatCircle.distanceKm(from: Self.seaTac, to: Self.seattle) == seattleToSeaTac)
        let antipodes = GreatCircle.distanceKm(
            from: GeoLocation(latitude: 0, longitude: 0), to: GeoLocation(latitude: 0, longitude: 180))
        #expect(abs(antipodes - Double.pi * GreatCircle.earthRadiusKm) < 0.001)
    }

    @Test("a zone contains its centre and points within its radius, not beyond")
    func zoneContainment() {
        let zone = NoFlyZone.seaTacAirport
        #expect(zone.contains(Self.seaTac))
        // 0.03° of latitude is about 3.3 km: inside the 4 km radius; 0.04° (4.45 km) is outside.
        #expect(zone.contains(GeoLocation(latitude: 47.4502 + 0.03, longitude: -122.3088)))
        #expect(!zone.contains(GeoLocation(latitude: 47.4502 + 0.04, longitude: -122.3088)))
        #expect(!zone.contains(Self.seattle))
        // Exactly on the boundary is inside (distance <= radius).
        let edge = NoFlyZone(name: "edge", centre: GeoLocation(latitude: 0, longitude: 0), radiusKm: GreatCircle.distanceKm(
            from: GeoLocation(latitude: 0, longitude: 0), to: GeoLocation(latitude: 0.01, longitude: 0)))
        #expect(edge.contains(GeoLocation(latitude: 0.01, longitude: 0)))
    }

    @Test("the deadline is met when the drop-off ETA is at or before it")
    func deadlineRule() {
        #expect(DeadlineRule.isMet(dropoffEta: Self.now, deadline: Self.now.addingTimeInterval(1)))
        #expect(DeadlineRule.isMet(dropoffEta: Self.now, deadline: Self.now))
        #expect(!DeadlineRule.isMet(dropoffEta: Self.now.addingTimeInterval(0.001), deadline: Self.now))
    }

    // MARK: Zone parsing and settings

    @Test("zone lists parse: the default, several zones, spaces and empty entries")
    func zoneListsParse() throws {
        #expect(try NoFlyZone.parseList("sea-tac-airport:47.4502,-122.3088,4") == [.seaTacAirport])
        let zones = try NoFlyZone.parseList(" a : 1.5 , -2.25 , 0.5 ;; b:-10,170,12; ")
        #expect(zones == [
            NoFlyZone(name: "a", centre: GeoLocation(latitude: 1.5, longitude: -2.25), radiusKm: 0.5),
            NoFlyZone(name: "b", centre: GeoLocation(latitude: -10, longitude: 170), radiusKm: 12),
        ])
        #expect(try NoFlyZone.parseList("").isEmpty)
        #expect(try NoFlyZone.parseList(" ; ").isEmpty)
        #expect(try NoFlyZone.parseList(NoFlyZone.seaTacAirport.description) == [.seaTacAirport])
    }

    @Test(
        "malformed zone lists are refused with a clear error",
        arguments: [
            ("sea-tac 47.45,-122.30,4", "missing ':'"),
            (":47.45,-122.30,4", "name is empty"),
            ("x:47.45,-122.30", "2 numbers instead of 3"),
            ("x:47.45,-122.30,4,5", "4 numbers instead of 3"),
            ("x:north,-122.30,4", "latitude 'north' is not a number"),
            ("x:47.45,,4", "longitude '' is not a number"),
            ("x:47.45,-122.30,wide", "radius 'wide' is not a number"),
            ("x:91,-122.30,4", "latitude 91.0 is outside -90...90"),
            ("x:47,-181,4", "longitude -181.0 is outside -180...180"),
            ("x:47,-122,0", "radius 0.0 km is not more than 0"),
            ("x:47,-122,-3", "radius -3.0 km is not more than 0"),
            ("x:47,-122,inf", "radius 'inf' is not a number"),
            ("x:1,1,1;x:2,2,2", "zone name 'x' appears twice"),
        ])
    func malformedZoneLists(text: String, problem: String) {
        let error = #expect(throws: SettingError.self) { try NoFlyZone.parseList(text) }
        #expect(error?.key == "DELIVERY_NO_FLY_ZONES")
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
    }

    @Test("settings come from the environment with documented defaults")
    func settingsFromEnvironment() throws {
        let defaults = try DeliverySettings.fromEnvironment([:])
        #expect(defaults.joinTimeout == .seconds(30))
        #expect(defaults.noFlyZones == [.seaTacAirport])
        let custom = try DeliverySettings.fromEnvironment([
            "DELIVERY_JOIN_TIMEOUT_S": "1.5", "DELIVERY_NO_FLY_ZONES": "lab:10,20,1",
        ])
        #expect(custom.joinTimeout == .milliseconds(1500))
        #expect(custom.noFlyZones == [NoFlyZone(name: "lab", centre: GeoLocation(latitude: 10, longitude: 20), radiusKm: 1)])
        #expect(try DeliverySettings.fromEnvironment(["DELIVERY_NO_FLY_ZONES": ""]).noFlyZones.isEmpty)
        #expect(try DeliverySettings.fromEnvironment(["DELIVERY_JOIN_TIMEOUT_S": ""]).joinTimeout == .seconds(30), "empty counts as unset")
        for bad in ["0", "-1", "soon", "nan"] {
            #expect(throws: SettingError.self) { try DeliverySettings.fromEnvironment(["DELIVERY_JOIN_TIMEOUT_S": bad]) }
        }
        #expect(throws: SettingError.self) { try DeliverySettings.fromEnvironment(["DELIVERY_NO_FLY_ZONES": "bad"]) }
        #expect(defaults.pickupGrace == 900)
        #expect(try DeliverySettings.fromEnvironment(["DELIVERY_PICKUP_GRACE_S": "2.5"]).pickupGrace == 2.5)
        for bad in ["0", "-1", "later", "86401"] {
            #expect(throws: SettingError.self) { try DeliverySettings.fromEnvironment(["DELIVERY_PICKUP_GRACE_S": bad]) }
        }
    }

    // MARK: The join decision

    @Test("the join waits for the missing branch")
    func joinWaits() {
        let id = UUID()
        #expect(Self.rules.joinDecision(for: DeliveryRecord(deliveryId: id), injectedFault: false) == .awaitingBoth)
        let accountOnly = DeliveryRecord(deliveryId: id, ownerId: "acct-active-001", accountState: .validated)
        #expect(Self.rules.joinDecision(for: accountOnly, injectedFault: false) == .awaitingDrone)
        let droneOnly = DeliveryRecord(deliveryId: id, assignment: Self.assignment())
        #expect(Self.rules.joinDecision(for: droneOnly, injectedFault: true) == .awaitingAccount)
    }

    @Test("a complete join schedules with the owner, drone, package and ETAs")
    func joinSchedules() {
        let assignment = Self.assignment()
        let record = DeliveryRecord(deliveryId: UUID(), ownerId: "acct-active-001", accountState: .validated, assignment: assignment)
        #expect(Self.rules.joinDecision(for: record, injectedFault: false) == .schedule(DeliveryScheduled(
            ownerId: "acct-active-001", droneId: assignment.droneId, packageId: assignment.packageId,
            pickupEta: assignment.pickupEta, dropoffEta: assignment.dropoffEta)))
    }

    @Test("a complete join fails for a no-fly zone, an unreachable deadline, or an injected fault")
    func joinFails() {
        func decision(_ assignment: DroneAssignment, fault: Bool = false, rules: SchedulingRules = Self.rules) -> JoinDecision {
            rules.joinDecision(
                for: DeliveryRecord(deliveryId: UUID(), ownerId: "o", accountState: .validated, assignment: assignment),
                injectedFault: fault)
        }
        guard case .fail(let zone) = decision(Self.assignment(dropoff: Self.seaTac)) else {
            Issue.record("no-fly zone drop-off was not refused")
            return
        }
        #expect(zone.code == .noFlyZone)
        #expect(zone.message.contains("sea-tac-airport"))
        // Without zones, the same drop-off is fine.
        guard case .schedule = decision(Self.assignment(dropoff: Self.seaTac), rules: SchedulingRules(noFlyZones: [])) else {
            Issue.record("drop-off refused with no zones")
            return
        }
        let late = Self.assignment(dropoffEta: Self.now.addingTimeInterval(3601), deadline: Self.now.addingTimeInterval(3600))
        guard case .fail(let deadline) = decision(late) else {
            Issue.record("late drop-off was not refused")
            return
        }
        #expect(deadline.code == .deadlineUnreachable)
        guard case .fail(let injected) = decision(Self.assignment(), fault: true) else {
            Issue.record("injected fault did not fail the join")
            return
        }
        #expect(injected == Reason(.deadlineUnreachable, "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)"))
        // The zone is checked before the deadline.
        guard case .fail(let both) = decision(Self.assignment(dropoff: Self.seaTac, dropoffEta: Self.now.addingTimeInterval(9999))) else {
            Issue.record("zone and deadline failure not refused")
            return
        }
        #expect(both.code == .noFlyZone)
    }

    @Test("a delivery that is no longer joining takes no join decision", arguments: [
        DeliveryState.scheduled, .pickedUp, .completed, .failed, .cancelled,
    ])
    func notJoining(state: DeliveryState) {
        let record = DeliveryRecord(
            deliveryId: UUID(), ownerId: "o", accountState: .validated, assignment: Self.assignment(), state: state)
        #expect(Self.rules.joinDecision(for: record, injectedFault: false) == .notJoining)
    }

    // MARK: The state machine

    @Test("either order: the first branch starts the timeout, the second schedules and stops it")
    func joinInEitherOrder() {
        let assignment = Self.assignment()
        var accountFirst = DeliveryRecord(deliveryId: UUID())
        #expect(accountFirst.accountValidated(ownerId: "o", rules: Self.rules) == DeliveryReaction(startJoinTimeout: true))
        let second = accountFirst.droneAllocated(assignment, rules: Self.rules)
        #expect(second.stopJoinTimeout && !second.startJoinTimeout)
        #expect(accountFirst.state == .scheduled)

        var droneFirst = DeliveryRecord(deliveryId: UUID())
        #expect(droneFirst.droneAllocated(assignment, rules: Self.rules) == DeliveryReaction(startJoinTimeout: true))
        #expect(droneFirst.accountValidated(ownerId: "o", rules: Self.rules) == second)
        #expect(droneFirst.state == .scheduled)
        guard case .scheduled(let scheduled)? = second.emission else {
            Issue.record("no delivery.scheduled")
            return
        }
        #expect(scheduled.ownerId == "o" && scheduled.droneId == "drone-007")
    }

    @Test("a failed join emits scheduling-failed naming the drone and package")
    func failedJoinNamesDroneAndPackage() {
        var record = DeliveryRecord(deliveryId: UUID(), ownerId: "o", accountState: .validated)
        let reaction = record.droneAllocated(Self.assignment(dropoff: Self.seaTac), rules: Self.rules)
        guard case .schedulingFailed(let failed)? = reaction.emission else {
            Issue.record("no delivery.scheduling-failed")
            return
        }
        #expect(failed.reason.code == .noFlyZone)
        #expect(failed.droneId == "drone-007")
        #expect(failed.packageId == Self.assignment().packageId)
        #expect(reaction.stopJoinTimeout)
        #expect(record.state == .failed && record.failureCode == "NO_FLY_ZONE")
    }

    @Test("a branch failure fails the delivery silently; late events then change nothing")
    func branchFailure() {
        var record = DeliveryRecord(deliveryId: UUID())
        #expect(record.droneAllocated(Self.assignment(), rules: Self.rules).startJoinTimeout)
        let reaction = record.branchFailed(.accountRejected, ownerId: "acct-suspended-002", detail: "ACCOUNT_SUSPENDED: no")
        #expect(reaction == DeliveryReaction(stopJoinTimeout: true))
        #expect(record.state == .failed && record.accountState == .rejected && record.failureCode == "ACCOUNT_REJECTED")
        let failed = record
        #expect(record.accountValidated(ownerId: "o", rules: Self.rules) == .none)
        #expect(record.droneAllocated(Self.assignment(), rules: Self.rules) == .none)
        #expect(record.joinTimedOut(afterSeconds: 30) == .none)
        #expect(record.branchFailed(.packageRejected, detail: "again") == .none)
        #expect(record == failed)
    }

    @Test("the join timeout fails a joining delivery once, naming what is known")
    func joinTimeout() {
        var record = DeliveryRecord(deliveryId: UUID())
        _ = record.droneAllocated(Self.assignment(), rules: Self.rules)
        let reaction = record.joinTimedOut(afterSeconds: 1)
        guard case .schedulingFailed(let failed)? = reaction.emission else {
            Issue.record("no JOIN_TIMED_OUT")
            return
        }
        #expect(failed.reason.code == .joinTimedOut)
        #expect(failed.reason.message.contains("account.validated"))
        #expect(failed.droneId == "drone-007" && failed.packageId != nil)
        #expect(record.state == .failed)
        #expect(record.joinTimedOut(afterSeconds: 1) == .none)

        var accountOnly = DeliveryRecord(deliveryId: UUID())
        _ = accountOnly.accountValidated(ownerId: "o", rules: Self.rules)
        guard case .schedulingFailed(let noDrone)? = accountOnly.joinTimedOut(afterSeconds: 30).emission else {
            Issue.record("no JOIN_TIMED_OUT")
            return
        }
        #expect(noDrone.droneId == nil && noDrone.packageId == nil)
        #expect(noDrone.reason.message.contains("drone.allocated within 30 s"))

        var scheduled = DeliveryRecord(deliveryId: UUID(), ownerId: "o", accountState: .validated)
        _ = scheduled.droneAllocated(Self.assignment(), rules: Self.rules)
        #expect(scheduled.joinTimedOut(afterSeconds: 1) == .none)
        #expect(scheduled.state == .scheduled)
    }

    @Test("the flight: picked up, then delivered completes once")
    func flight() {
        var record = DeliveryRecord(deliveryId: UUID(), ownerId: "o", accountState: .validated)
        _ = record.droneAllocated(Self.assignment(), rules: Self.rules)
        let newEta = Self.now.addingTimeInterval(1000)
        #expect(record.pickedUp(dropoffEta: newEta) == DeliveryReaction(stopPickupDeadline: true))
        #expect(record.state == .pickedUp && record.assignment?.dropoffEta == newEta)
        let packageId = Self.assignment().packageId
        // The pickup stopped the pickup-overdue deadline: the completion has none to stop.
        #expect(record.delivered(droneId: "drone-007", packageId: packageId)
            == DeliveryReaction(emission: .completed(DeliveryCompleted(droneId: "drone-007", packageId: packageId))))
        #expect(record.state == .completed)
        #expect(record.delivered(droneId: "drone-007", packageId: packageId) == .none)
        #expect(record.pickedUp(dropoffEta: newEta) == .none)
        #expect(record.state == .completed)
        // Flight events for a delivery that is not scheduled change nothing.
        var joining = DeliveryRecord(deliveryId: UUID())
        #expect(joining.pickedUp(dropoffEta: newEta) == .none)
        #expect(joining.delivered(droneId: "d", packageId: packageId) == .none)
        #expect(joining.state == .joining)
    }

    @Test("the request starts the join timeout now, or a lead time before a far-off pickup (when the drone is allocated)")
    func requestStartsTheJoinTimeout() {
        var near = DeliveryRecord(deliveryId: UUID())
        #expect(near.requested(pickupTime: Self.now.addingTimeInterval(3_600), now: Self.now, leadTime: 7_200)
            == DeliveryReaction(startJoinTimeout: true))
        var far = DeliveryRecord(deliveryId: UUID())
        #expect(far.requested(pickupTime: Self.now.addingTimeInterval(5 * 3_600), now: Self.now, leadTime: 7_200)
            == DeliveryReaction(joinTimeoutFrom: Self.now.addingTimeInterval(3 * 3_600)))
        var ended = DeliveryRecord(deliveryId: UUID())
        _ = ended.branchFailed(.packageRejected, detail: "OVERWEIGHT: heavy")
        #expect(ended.requested(pickupTime: Self.now, now: Self.now, leadTime: 7_200) == .none)
    }

    @Test("cancellation before pickup cancels; afterwards it is refused with the matching code")
    func cancellation() {
        let request = Reason(DeliveryCancellationRequested.Code.customerRequest, "Cancelled by the customer.")
        // Never seen: recorded as cancelled, nothing to release.
        var unknown = DeliveryRecord(deliveryId: UUID())
        #expect(unknown.cancellationRequested(request) == DeliveryReaction(
            stopJoinTimeout: true, stopPickupDeadline: true, emission: .cancelled(DeliveryCancelled(reason: Reason(.customerRequest, request.message)))))
        #expect(unknown.state == .cancelled)
        #expect(unknown.accountValidated(ownerId: "o", rules: Self.rules) == .none)
        #expect(unknown.droneAllocated(Self.assignment(), rules: Self.rules) == .none)
        #expect(unknown.assignment == nil)

        // Scheduled: the drone service decides; once it released the drone, cancelled, naming the
        // drone and package.
        var scheduled = scheduledRecord()
        #expect(scheduled.cancellationRequested(request) == .none)
        #expect(scheduled.state == .cancelling)
        #expect(scheduled.cancellationRequested(request) == .none, "a second request waits for the same decision")
        guard case .cancelled(let cancelled)? = scheduled.droneReleased(.deliveryCancelled).emission else {
            Issue.record("no delivery.cancelled")
            return
        }
        #expect(cancelled.droneId == "drone-007" && cancelled.packageId == Self.assignment().packageId)
        #expect(cancelled.reason == Reason(.customerRequest, request.message))
        #expect(refusal(&scheduled, request) == .alreadyCancelled)

        var pickedUp = scheduledRecord()
        _ = pickedUp.pickedUp(dropoffEta: Self.now)
        #expect(refusal(&pickedUp, request) == .alreadyPickedUp)
        #expect(pickedUp.state == .pickedUp)
        var completed = pickedUp
        _ = completed.delivered(droneId: "drone-007", packageId: Self.assignment().packageId)
        #expect(refusal(&completed, request) == .alreadyCompleted)
        var failed = DeliveryRecord(deliveryId: UUID())
        _ = failed.branchFailed(.packageRejected, detail: "OVERWEIGHT: heavy")
        #expect(refusal(&failed, request) == .alreadyFailed)

        // An operator's request is cancelled as such.
        var operatorCancelled = DeliveryRecord(deliveryId: UUID())
        guard case .cancelled(let byOperator)? = operatorCancelled.cancellationRequested(
            Reason(.operatorRequest, "ops")).emission
        else {
            Issue.record("no delivery.cancelled")
            return
        }
        #expect(byOperator.reason.code == .operatorRequest)
    }

    /// One input of the cancellation race, as the delivery service receives it.
    enum RaceInput: CaseIterable, CustomStringConvertible {
        case request, overdue, released, pickedUp, delivered
        var description: String { "\(self)" }
    }

    /// Feeds `inputs` to a scheduled delivery; returns the final record and every emission.
    private func race(_ inputs: [RaceInput]) -> (DeliveryRecord, [DeliveryEmission]) {
        var record = scheduledRecord()
        var emitted: [DeliveryEmission] = []
        let request = Reason(DeliveryCancellationRequested.Code.operatorRequest, "ops")
        for input in inputs {
            let reaction = switch input {
            case .request: record.cancellationRequested(request)
            case .overdue: record.pickupOverdue(graceSeconds: 900)
            case .released: record.droneReleased(.deliveryCancelled)
            case .pickedUp: record.pickedUp(dropoffEta: Self.now)
            case .delivered: record.delivered(droneId: "drone-007", packageId: Self.assignment().packageId)
            }
            emitted += reaction.emissions
        }
        return (record, emitted)
    }

    /// Every order of `items`.
    private func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    @Test("a cancellation racing the pickup: in every arrival order, with duplicates, the drone service's decision wins")
    func cancellationRacingThePickup() {
        // The drone picked up first (it ignores the request): the cancellation is refused once,
        // the delivery completes once, and nothing is cancelled.
        for order in permutations([RaceInput.request, .pickedUp, .delivered]) {
            for inputs in [order, order.flatMap { [$0, $0] }] {
                let (record, emitted) = race(inputs)
                #expect(record.state == .completed, "\(inputs)")
                let refusals = emitted.compactMap { if case .cancellationRefused(let refusal) = $0 { refusal } else { nil } }
                let completions = emitted.filter { if case .completed = $0 { true } else { false } }
                let cancellations = emitted.filter { if case .cancelled = $0 { true } else { false } }
                #expect(completions.count == 1 && cancellations.isEmpty, "\(inputs)")
                // A request handled before the drone's news waits for it and is refused on it (a
                // second one while it waits shares that answer); one handled after is refused at once.
                #expect((1...inputs.filter { $0 == .request }.count).contains(refusals.count), "\(inputs)")
                #expect(refusals.allSatisfy { $0.reason.code != .alreadyCancelled }, "\(inputs)")
            }
        }
        // The drone was released for the cancellation (no pickup will ever come): cancelled once.
        for order in permutations([RaceInput.request, .released]) {
            for inputs in [order, order.flatMap { [$0, $0] }] {
                let (record, emitted) = race(inputs)
                #expect(record.state == .cancelled, "\(inputs)")
                let cancellations = emitted.compactMap { if case .cancelled(let cancelled) = $0 { cancelled } else { nil } }
                #expect(cancellations.count == 1, "\(inputs)")
                #expect(cancellations.first?.reason.code == .operatorRequest, "\(inputs)")
                #expect(!emitted.contains { if case .completed = $0 { true } else { false } }, "\(inputs)")
            }
        }
        // Releases for other reasons follow this service's own decisions: they change nothing.
        var scheduled = scheduledRecord()
        let before = scheduled
        for code in DroneReleased.Code.allCases where code != .deliveryCancelled {
            #expect(scheduled.droneReleased(code) == .none)
        }
        #expect(scheduled == before)
    }

    @Test("an overdue pickup racing the drone: in every arrival order, with duplicates and a customer's request, the drone service's decision wins")
    func overduePickupRacingTheDrone() {
        func count(_ emitted: [DeliveryEmission], _ matches: (DeliveryEmission) -> Bool) -> Int { emitted.filter(matches).count }
        func isOverdue(_ emission: DeliveryEmission) -> Bool { if case .pickupOverdue = emission { true } else { false } }
        func isRefusal(_ emission: DeliveryEmission) -> Bool { if case .cancellationRefused = emission { true } else { false } }
        func isCompletion(_ emission: DeliveryEmission) -> Bool { if case .completed = emission { true } else { false } }
        func cancellations(_ emitted: [DeliveryEmission]) -> [DeliveryCancelled] {
            emitted.compactMap { if case .cancelled(let cancelled) = $0 { cancelled } else { nil } }
        }
        // The drone flew after all: the flight completes once, nothing is cancelled, and nobody
        // is sent a refusal (nobody asked); the overdue is told to the drone at most once.
        for order in permutations([RaceInput.overdue, .pickedUp, .delivered]) {
            for inputs in [order, order.flatMap { [$0, $0] }] {
                let (record, emitted) = race(inputs)
                #expect(record.state == .completed, "\(inputs)")
                #expect(count(emitted, isCompletion) == 1 && cancellations(emitted).isEmpty, "\(inputs)")
                #expect(count(emitted, isRefusal) == 0, "\(inputs)")
                #expect(count(emitted, isOverdue) == (inputs.first == .overdue ? 1 : 0), "\(inputs)")
                #expect(record.failureCode == nil, "\(inputs)")
            }
        }
        // The drone service released the drone: cancelled once with PICKUP_OVERDUE.
        for order in permutations([RaceInput.overdue, .released]) {
            for inputs in [order, order.flatMap { [$0, $0] }] {
                let (record, emitted) = race(inputs)
                #expect(record.state == .cancelled, "\(inputs)")
                #expect(cancellations(emitted).map(\.reason.code) == [.pickupOverdue], "\(inputs)")
                #expect(count(emitted, isOverdue) == (inputs.first == .overdue ? 1 : 0), "\(inputs)")
                #expect(cancellations(emitted).first?.droneId == Self.assignment().droneId, "\(inputs)")
            }
        }
        // A customer's request and the overdue, and the release: one cancellation, no completion.
        for order in permutations([RaceInput.request, .overdue, .released]) {
            let (record, emitted) = race(order)
            #expect(record.state == .cancelled, "\(order)")
            #expect(cancellations(emitted).count == 1 && count(emitted, isCompletion) == 0, "\(order)")
            #expect(count(emitted, isOverdue) <= 1, "\(order)")
        }
    }

    @Test("scheduling starts the pickup-overdue deadline at the pickup ETA; the pickup, the completion and a cancellation stop it")
    func pickupOverdueDeadline() {
        var record = DeliveryRecord(deliveryId: UUID(), ownerId: "o", accountState: .validated)
        let scheduling = record.droneAllocated(Self.assignment(), rules: Self.rules)
        #expect(scheduling.pickupDueBy == Self.assignment().pickupEta)
        var flown = record
        #expect(flown.pickedUp(dropoffEta: Self.now).stopPickupDeadline)
        var delivered = record
        #expect(delivered.delivered(droneId: "drone-007", packageId: Self.assignment().packageId).stopPickupDeadline)
        var released = record
        _ = released.droneReleased(.deliveryCancelled)
        #expect(released.cancellationRequested(Reason(.customerRequest, "no")).stopPickupDeadline)
        // Only a scheduled delivery is overdue; the message names the grace and the ETA.
        var joining = DeliveryRecord(deliveryId: UUID())
        #expect(joining.pickupOverdue(graceSeconds: 60) == .none)
        guard case .pickupOverdue(let overdue)? = record.pickupOverdue(graceSeconds: 60).emission else {
            Issue.record("no delivery.pickup-overdue")
            return
        }
        #expect(overdue.reason.message.contains("60 s after the pickup ETA \(RFC3339.string(from: Self.assignment().pickupEta))"))
        #expect(overdue.droneId == Self.assignment().droneId && overdue.packageId == Self.assignment().packageId)
        #expect(record.state == .cancelling)
    }

    private func scheduledRecord() -> DeliveryRecord {
        var record = DeliveryRecord(deliveryId: UUID(), ownerId: "o", accountState: .validated)
        _ = record.droneAllocated(Self.assignment(), rules: Self.rules)
        return record
    }

    private func refusal(
        _ record: inout DeliveryRecord, _ request: Reason<DeliveryCancellationRequested.Code>
    ) -> DeliveryCancellationRefused.Code? {
        let before = record
        guard case .cancellationRefused(let refused)? = record.cancellationRequested(request).emission else { return nil }
        #expect(record == before, "a refusal changes nothing")
        return refused.reason.code
    }
}
