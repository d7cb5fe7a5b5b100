package import Contracts
package import Foundation

/// What the join of the account branch and the drone branch decides for a delivery record.
package enum JoinDecision: Sendable, Equatable {
    /// The delivery is no longer joining (scheduled, finished, failed or cancelled): nothing to do.
    case notJoining
    /// The drone branch is in, the account branch is not yet.
    case awaitingAccount
    /// The account branch is in, the drone branch is not yet.
    case awaitingDrone
    /// Neither branch is in yet.
    case awaitingBoth
    /// Both are in and the route and deadline are fine: emit this schedule.
    case schedule(DeliveryScheduled)
    /// Both are in, but the delivery cannot be scheduled, for this reason.
    case fail(Reason<DeliverySchedulingFailed.Code>)
}

/// Whether a drop-off ETA meets a deadline (arriving exactly at the deadline is in time).
package enum DeadlineRule {
    /// `dropoffEta <= deadline`.
    package static func isMet(dropoffEta: Date, deadline: Date) -> Bool { dropoffEta <= deadline }
}

/// The delivery service's scheduling rules: no-fly zones and the deadline, applied when the join
/// completes.
package struct SchedulingRules: Sendable {
    /// Where drones may not drop off.
    package var noFlyZones: [NoFlyZone]

    /// Rules with these no-fly zones.
    package init(noFlyZones: [NoFlyZone]) {
        self.noFlyZones = noFlyZones
    }

    /// The message of a failure caused by fault injection.
    package static let injectedFaultMessage = "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)"

    /// The first zone that contains `location`, if any.
    package func noFlyZone(containing location: GeoLocation) -> NoFlyZone? {
        noFlyZones.first { $0.contains(location) }
    }

    /// The join decision for `record`: wait while a branch is missing; once both are in, fail with
    /// `DEADLINE_UNREACHABLE` if `injectedFault` (fault injection), `NO_FLY_ZONE` if the drop-off
    /// is in a zone, `DEADLINE_UNREACHABLE` if the drop-off ETA is after the deadline, otherwise
    /// schedule.
    package func joinDecision(for record: DeliveryRecord, injectedFault: Bool) -> JoinDecision {
        guard record.state == .joining else { return .notJoining }
        let accountIn = record.accountState == .validated
        guard let assignment = record.assignment else { return accountIn ? .awaitingDrone : .awaitingBoth }
        guard accountIn, let ownerId = record.ownerId else { return .awaitingAccount }
        if injectedFault {
            return .fail(Reason(.deadlineUnreachable, Self.injectedFaultMessage))
        }
        let dropoff = assignment.dropoffLocation
        if let zone = noFlyZone(containing: dropoff) {
            let distance = GreatCircle.distanceKm(from: zone.centre, to: dropoff)
            return .fail(Reason(
                .noFlyZone,
                "Drop-off (\(dropoff.latitude), \(dropoff.longitude)) is inside no-fly zone '\(zone.name)' "
                    + "(\(String(format: "%.2f", distance)) km from its centre, radius \(zone.radiusKm) km)."))
        }
        guard DeadlineRule.isMet(dropoffEta: assignment.dropoffEta, deadline: assignment.deadline) else {
            return .fail(Reason(
                .deadlineUnreachable,
                "Drop-off ETA \(RFC3339.string(from: assignment.dropoffEta)) is after the deadline "
                    + "\(RFC3339.string(from: assignment.deadline))."))
        }
        return .schedule(DeliveryScheduled(
            ownerId: ownerId, droneId: assignment.droneId, packageId: assignment.packageId,
            pickupEta: assignment.pickupEta, dropoffEta: assignment.dropoffEta))
    }
}
