package import Contracts
package import Foundation

/// Where a delivery is, as the delivery service tracks it (`deliveries.state`).
package enum DeliveryState: String, Sendable, Hashable, CaseIterable {
    /// Waiting for `account.validated` and `drone.allocated` (either order).
    case joining
    /// `delivery.scheduled` was emitted; the drone flies to the pickup point.
    case scheduled
    /// A cancellation was requested after scheduling. The drone service decides whether the
    /// pickup happened first: `drone.released` (`DELIVERY_CANCELLED`) cancels the delivery,
    /// `drone.picked-up` or `drone.delivered` refuses the cancellation.
    case cancelling
    /// The drone has the package.
    case pickedUp = "picked-up"
    /// Delivered; `delivery.completed` was emitted.
    case completed
    /// A branch failed, the route or deadline was impossible, or the join timed out.
    case failed
    /// Cancelled before pickup (as the drone service decided); `delivery.cancelled` was emitted.
    case cancelled
}

/// What the account branch said (`deliveries.account_state`).
package enum AccountState: String, Sendable, Hashable, CaseIterable {
    /// No answer yet.
    case pending
    /// `account.validated` arrived.
    case validated
    /// `account.rejected` arrived.
    case rejected
}

/// The drone branch's result, as `drone.allocated` carries it.
package struct DroneAssignment: Sendable, Hashable {
    /// The reserved drone.
    package var droneId: String
    /// The package it carries.
    package var packageId: UUID
    /// When it is expected at the pickup point.
    package var pickupEta: Date
    /// When it is expected at the drop-off point (updated by `drone.picked-up`).
    package var dropoffEta: Date
    /// Where it drops off.
    package var dropoffLocation: GeoLocation
    /// The delivery's deadline.
    package var deadline: Date

    /// An assignment from its fields.
    package init(droneId: String, packageId: UUID, pickupEta: Date, dropoffEta: Date, dropoffLocation: GeoLocation, deadline: Date) {
        self.droneId = droneId
        self.packageId = packageId
        self.pickupEta = pickupEta
        self.dropoffEta = dropoffEta
        self.dropoffLocation = dropoffLocation
        self.deadline = deadline
    }

    /// The assignment a `drone.allocated` event announces.
    package init(_ allocation: DroneAllocated) {
        self.init(
            droneId: allocation.droneId, packageId: allocation.packageId, pickupEta: allocation.pickupEta,
            dropoffEta: allocation.dropoffEta, dropoffLocation: allocation.dropoffLocation, deadline: allocation.deadline)
    }
}

/// An event the delivery service emits in reaction to one input (at most one per input).
package enum DeliveryEmission: Sendable, Equatable {
    /// `delivery.scheduled`.
    case scheduled(DeliveryScheduled)
    /// `delivery.scheduling-failed`.
    case schedulingFailed(DeliverySchedulingFailed)
    /// `delivery.completed`.
    case completed(DeliveryCompleted)
    /// `delivery.cancelled`.
    case cancelled(DeliveryCancelled)
    /// `delivery.cancellation-refused`.
    case cancellationRefused(DeliveryCancellationRefused)
    /// `delivery.pickup-overdue`.
    case pickupOverdue(DeliveryPickupOverdue)
}

/// What handling one input asks of the runtime besides saving the record.
package struct DeliveryReaction: Sendable, Equatable {
    /// Start the `join-timeout` deadline (the first branch of the join arrived).
    package var startJoinTimeout = false
    /// Cancel the `join-timeout` deadline (the join is over, one way or another).
    package var stopJoinTimeout = false
    /// The events to emit, in order.
    package var emissions: [DeliveryEmission]
    /// The join timeout runs from this later moment (the drone is only allocated then, a lead
    /// time before a far-off pickup): a pending timeout is postponed to it.
    package var joinTimeoutFrom: Date?
    /// Start the `pickup-overdue` deadline, due a grace period after this pickup ETA (the
    /// delivery was just scheduled).
    package var pickupDueBy: Date?
    /// Cancel the `pickup-overdue` deadline (the pickup happened, or the delivery ended).
    package var stopPickupDeadline = false

    /// A reaction from its parts.
    package init(
        startJoinTimeout: Bool = false, stopJoinTimeout: Bool = false, emissions: [DeliveryEmission] = [], joinTimeoutFrom: Date? = nil,
        pickupDueBy: Date? = nil, stopPickupDeadline: Bool = false
    ) {
        self.startJoinTimeout = startJoinTimeout
        self.stopJoinTimeout = stopJoinTimeout
        self.emissions = emissions
        self.joinTimeoutFrom = joinTimeoutFrom
        self.pickupDueBy = pickupDueBy
        self.stopPickupDeadline = stopPickupDeadline
    }

    /// A reaction that emits at most one event.
    package init(
        startJoinTimeout: Bool = false, stopJoinTimeout: Bool = false, stopPickupDeadline: Bool = false, emission: DeliveryEmission?
    ) {
        self.init(
            startJoinTimeout: startJoinTimeout, stopJoinTimeout: stopJoinTimeout, emissions: emission.map { [$0] } ?? [],
            stopPickupDeadline: stopPickupDeadline)
    }

    /// The first event to emit, if any.
    package var emission: DeliveryEmission? { emissions.first }

    /// Nothing to do: a late, repeated or no-longer-applicable input.
    package static let none = DeliveryReaction()
}

/// One delivery as the delivery service knows it (a row of `deliveries`), and the pure state
/// machine every input drives. Each input method changes the record and says what to emit and
/// which deadline to start or stop; an input that no longer applies changes nothing.
package struct DeliveryRecord: Sendable, Equatable {
    /// The delivery.
    package var deliveryId: UUID
    /// The owner, from `account.validated` or `account.rejected`.
    package var ownerId: String?
    /// The account branch.
    package var accountState: AccountState
    /// The drone branch, once `drone.allocated` arrived.
    package var assignment: DroneAssignment?
    /// Where the delivery is.
    package var state: DeliveryState
    /// Why it failed or was cancelled: a reason code.
    package var failureCode: String?
    /// Why it failed or was cancelled: the message.
    package var failureMessage: String?
    /// The drone service released the drone for a cancellation (`drone.released`,
    /// `DELIVERY_CANCELLED`): the pickup cannot happen any more.
    package var droneReleasedForCancellation: Bool

    /// A record from its fields (a new delivery when only the id is given).
    package init(
        deliveryId: UUID, ownerId: String? = nil, accountState: AccountState = .pending, assignment: DroneAssignment? = nil,
        state: DeliveryState = .joining, failureCode: String? = nil, failureMessage: String? = nil,
        droneReleasedForCancellation: Bool = false
    ) {
        self.deliveryId = deliveryId
        self.ownerId = ownerId
        self.accountState = accountState
        self.assignment = assignment
        self.state = state
        self.failureCode = failureCode
        self.failureMessage = failureMessage
        self.droneReleasedForCancellation = droneReleasedForCancellation
    }

    /// `delivery.requested`: the saga was accepted; the join timeout starts now, so the delivery
    /// ends (and whatever a branch reserved is compensated) even if both branch events are lost.
    /// For a pickup more than `leadTime` ahead the drone is only allocated `leadTime` before it,
    /// so the timeout runs from then (postponing one a branch may have started).
    package mutating func requested(pickupTime: Date, now: Date, leadTime: TimeInterval) -> DeliveryReaction {
        guard state == .joining else { return .none }
        let allocation = AllocationLeadTime.allocationTime(pickupTime: pickupTime, now: now, lead: leadTime)
        return allocation > now ? DeliveryReaction(joinTimeoutFrom: allocation) : DeliveryReaction(startJoinTimeout: true)
    }

    /// `account.validated`: records the account branch and tries the join.
    package mutating func accountValidated(ownerId: String, rules: SchedulingRules, injectedFault: Bool = false) -> DeliveryReaction {
        guard state == .joining else { return .none }
        self.ownerId = ownerId
        accountState = .validated
        return join(rules: rules, injectedFault: injectedFault)
    }

    /// `drone.allocated`: records the drone branch and tries the join.
    package mutating func droneAllocated(_ allocation: DroneAssignment, rules: SchedulingRules, injectedFault: Bool = false) -> DeliveryReaction {
        guard state == .joining else { return .none }
        assignment = allocation
        return join(rules: rules, injectedFault: injectedFault)
    }

    /// `account.rejected`, `package.rejected` or `drone.allocation-failed` (`code` says which
    /// branch): the delivery fails; nothing is emitted, since the other services compensate on
    /// the branch's own event.
    package mutating func branchFailed(_ code: DeliverySchedulingFailed.Code, ownerId: String? = nil, detail: String) -> DeliveryReaction {
        guard state == .joining else { return .none }
        if code == .accountRejected {
            accountState = .rejected
            if let ownerId { self.ownerId = ownerId }
        }
        state = .failed
        failureCode = code.rawValue
        failureMessage = detail
        return DeliveryReaction(stopJoinTimeout: true)
    }

    /// The `join-timeout` deadline fired: a delivery still joining fails with `JOIN_TIMED_OUT`,
    /// naming the drone and package (if known) so they are released and cancelled.
    package mutating func joinTimedOut(afterSeconds timeout: Double) -> DeliveryReaction {
        guard state == .joining else { return .none }
        var missing: [String] = []
        if accountState != .validated { missing.append("account.validated") }
        if assignment == nil { missing.append("drone.allocated") }
        let reason = Reason(
            DeliverySchedulingFailed.Code.joinTimedOut,
            "No \(missing.joined(separator: " or ")) within \(Self.seconds(timeout)) s of the request or its first branch.")
        state = .failed
        failureCode = reason.code.rawValue
        failureMessage = reason.message
        return DeliveryReaction(emission: .schedulingFailed(
            DeliverySchedulingFailed(reason: reason, droneId: assignment?.droneId, packageId: assignment?.packageId)))
    }

    /// `drone.picked-up`: a scheduled delivery is now on its way to the drop-off point; a pending
    /// cancellation is refused (the drone service, which decides the pickup, flew first).
    package mutating func pickedUp(dropoffEta: Date) -> DeliveryReaction {
        guard state == .scheduled || state == .cancelling else { return .none }
        let refusal = cancellationRefusedByPickup()
        state = .pickedUp
        assignment?.dropoffEta = dropoffEta
        return DeliveryReaction(emissions: refusal, stopPickupDeadline: true)
    }

    /// `drone.delivered`: a delivery in flight completed (also from `scheduled` or `cancelling`,
    /// should the pickup event be late); emits `delivery.completed` so the drone returns to the
    /// pool, after refusing a pending cancellation. The pickup-overdue deadline is stopped unless
    /// the pickup, which stops it, came first.
    package mutating func delivered(droneId: String, packageId: UUID) -> DeliveryReaction {
        guard state == .scheduled || state == .cancelling || state == .pickedUp else { return .none }
        let pickupDeadlineStopped = state == .pickedUp
        let refusal = cancellationRefusedByPickup()
        state = .completed
        return DeliveryReaction(
            emissions: refusal + [.completed(DeliveryCompleted(droneId: droneId, packageId: packageId))],
            stopPickupDeadline: !pickupDeadlineStopped)
    }

    /// `drone.released`: with `DELIVERY_CANCELLED`, the drone service took the drone back for a
    /// cancellation before the pickup, so the delivery can never fly: a pending cancellation is
    /// now decided (cancelled); otherwise it is remembered until the request itself arrives.
    /// Other release reasons follow events this service decided itself: nothing to do.
    package mutating func droneReleased(_ code: DroneReleased.Code) -> DeliveryReaction {
        guard code == .deliveryCancelled, [.joining, .scheduled, .cancelling].contains(state) else { return .none }
        droneReleasedForCancellation = true
        guard state == .cancelling, let code = failureCode.flatMap(DeliveryCancelled.Code.init(rawValue:)) else { return .none }
        return cancel(Reason(code, failureMessage ?? ""))
    }

    /// The `pickup-overdue` deadline fired: the drone had not picked the package up `grace`
    /// seconds after its pickup ETA. Only the drone service knows whether it did meanwhile, so a
    /// scheduled delivery asks it (`delivery.pickup-overdue`) and waits in `cancelling` for its
    /// decision, exactly as for a customer's cancellation: `drone.released` cancels the delivery
    /// with `PICKUP_OVERDUE`, `drone.picked-up` lets the flight go on. A delivery already
    /// `cancelling` waits for the decision it asked for; any other state has moved on.
    package mutating func pickupOverdue(graceSeconds grace: TimeInterval) -> DeliveryReaction {
        guard state == .scheduled, let assignment else { return .none }
        let reason = Reason(
            DeliveryPickupOverdue.Code.pickupOverdue,
            "No pickup \(Self.seconds(grace)) s after the pickup ETA \(RFC3339.string(from: assignment.pickupEta)).")
        if droneReleasedForCancellation { return cancel(Reason(.pickupOverdue, reason.message)) }
        state = .cancelling
        failureCode = DeliveryCancelled.Code.pickupOverdue.rawValue
        failureMessage = reason.message
        return DeliveryReaction(emission: .pickupOverdue(
            DeliveryPickupOverdue(reason: reason, droneId: assignment.droneId, packageId: assignment.packageId)))
    }

    /// `delivery.cancellation-requested`: while joining (also for a delivery not seen yet, which
    /// is recorded as cancelled) the delivery is cancelled. Once scheduled, only the drone service
    /// knows whether the pickup happened, so the delivery waits for its decision (`cancelling`)
    /// unless the drone was released for it already. After pickup or an end, it is refused.
    package mutating func cancellationRequested(_ request: Reason<DeliveryCancellationRequested.Code>) -> DeliveryReaction {
        let refusal: Reason<DeliveryCancellationRefused.Code>
        let code: DeliveryCancelled.Code = request.code == .operatorRequest ? .operatorRequest : .customerRequest
        switch state {
        case .joining:
            return cancel(Reason(code, request.message))
        case .scheduled where droneReleasedForCancellation:
            return cancel(Reason(code, request.message))
        case .scheduled:
            state = .cancelling
            failureCode = code.rawValue
            failureMessage = request.message
            return .none
        case .cancelling:
            // A second request while the drone service decides the first: that decision answers both.
            return .none
        case .pickedUp:
            refusal = alreadyPickedUp
        case .completed:
            refusal = Reason(.alreadyCompleted, "The delivery was already completed.")
        case .cancelled:
            refusal = Reason(.alreadyCancelled, "The delivery was already cancelled.")
        case .failed:
            refusal = Reason(.alreadyFailed, "The delivery had already failed (\(failureCode ?? "unknown")).")
        }
        return DeliveryReaction(emission: .cancellationRefused(DeliveryCancellationRefused(reason: refusal, droneId: assignment?.droneId)))
    }

    /// Why a cancellation after the pickup is refused.
    private var alreadyPickedUp: Reason<DeliveryCancellationRefused.Code> {
        Reason(.alreadyPickedUp, "The package was already picked up\(assignment.map { " by \($0.droneId)" } ?? "").")
    }

    /// Cancels the delivery and emits `delivery.cancelled`, naming the drone and package so their
    /// services compensate.
    private mutating func cancel(_ reason: Reason<DeliveryCancelled.Code>) -> DeliveryReaction {
        state = .cancelled
        failureCode = reason.code.rawValue
        failureMessage = reason.message
        return DeliveryReaction(stopJoinTimeout: true, stopPickupDeadline: true, emission: .cancelled(DeliveryCancelled(
            reason: reason, droneId: assignment?.droneId, packageId: assignment?.packageId)))
    }

    /// The refusal of a pending cancellation once the drone picked the package up (and forgets the
    /// request, which was never a failure); nothing when no cancellation is pending, or when the
    /// pending one was this service's own overdue pickup (nobody asked, so nobody is answered).
    private mutating func cancellationRefusedByPickup() -> [DeliveryEmission] {
        guard state == .cancelling else { return [] }
        let askedByOverdue = failureCode == DeliveryCancelled.Code.pickupOverdue.rawValue
        failureCode = nil
        failureMessage = nil
        if askedByOverdue { return [] }
        return [.cancellationRefused(DeliveryCancellationRefused(reason: alreadyPickedUp, droneId: assignment?.droneId))]
    }

    /// Seconds as the messages print them: whole when whole.
    private static func seconds(_ value: TimeInterval) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }

    private mutating func join(rules: SchedulingRules, injectedFault: Bool) -> DeliveryReaction {
        switch rules.joinDecision(for: self, injectedFault: injectedFault) {
        case .notJoining:
            return .none
        case .awaitingAccount, .awaitingDrone, .awaitingBoth:
            return DeliveryReaction(startJoinTimeout: true)
        case .schedule(let scheduled):
            state = .scheduled
            return DeliveryReaction(stopJoinTimeout: true, emissions: [.scheduled(scheduled)], pickupDueBy: scheduled.pickupEta)
        case .fail(let reason):
            state = .failed
            failureCode = reason.code.rawValue
            failureMessage = reason.message
            return DeliveryReaction(stopJoinTimeout: true, emission: .schedulingFailed(
                DeliverySchedulingFailed(reason: reason, droneId: assignment?.droneId, packageId: assignment?.packageId)))
        }
    }
}
