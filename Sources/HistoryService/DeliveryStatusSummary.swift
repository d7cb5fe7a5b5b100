package import Contracts
package import Foundation

/// What a delivery's logged events say about its status, in a form that takes one event at a
/// time: ``init(_:)`` is what one event contributes and ``merging(_:)`` joins two summaries, so
/// the summary of a log is the join of its events' contributions and ``status(deliveryId:)``
/// reads the status from it.
///
/// Every member joins by a rule that ignores order and repetition (the later of two
/// ``Latest`` values, the earlier of two positions, either of two flags, the deciding
/// ``SagaEnding``), so the join is commutative, associative and idempotent: the status is the
/// same whatever order the events arrived in and however often one was repeated, and equals
/// reading all of them sorted by ``LogPosition``:
/// - the owner, drone, package and times are those of the latest event (by position) that names them;
/// - `delivery.completed` → Completed / completed (wins over everything);
/// - otherwise the ending events decide by who owns the outcome (`SagaOutcomeRule`), never by
///   `occurredAt` (several hosts' clocks), of one rank the earliest: `delivery.cancelled` →
///   Cancelled / compensated, `delivery.scheduling-failed` → Compensated / compensated,
///   `account.rejected` or `package.rejected` → Rejected / rejected, which becomes Compensated /
///   compensated once a compensation (`package.cancelled`, or `drone.released` other than after
///   completion) was logged, `drone.allocation-failed` → Compensated / compensated;
/// - otherwise in flight: Created, HeadedToPickup after `delivery.scheduled`, HeadedToDropoff
///   after `drone.picked-up` or `drone.delivered`; the latest `delivery.cancellation-refused`'s
///   reason shows.
///
/// A new event type is a new case in ``init(_:)``; a new kind of fact is a member here, a line in
/// ``merging(_:)``, its use in ``status(deliveryId:)`` and a key in ``stored``.
package struct DeliveryStatusSummary: Sendable, Hashable {
    /// The latest event: the status's `lastEventType` and `updatedAt`.
    package var latest: Latest<EventType>?
    /// The owner, from the latest event naming one.
    package var ownerId: Latest<String>?
    /// The drone, from the latest event naming one.
    package var droneId: Latest<String>?
    /// The package, from the latest event naming one.
    package var packageId: Latest<UUID>?
    /// The pickup ETA, from the latest event giving one.
    package var pickupEta: Latest<Date>?
    /// The drop-off ETA of the drone service's latest `drone.allocated` or `drone.picked-up`.
    package var dropoffEta: Latest<Date>?
    /// The drop-off ETA `delivery.scheduled` gave, which yields to the drone's (see ``effectiveDropoffEta``).
    package var scheduledDropoffEta: Latest<Date>?
    /// The earliest event that gave a drop-off ETA.
    package var firstDropoffEta: LogPosition?
    /// The earliest `drone.picked-up` or `drone.delivered`: the flight under way.
    package var flightStart: LogPosition?
    /// `delivery.scheduled` was logged.
    package var scheduled = false
    /// `delivery.completed` was logged.
    package var completed = false
    /// A compensation was logged: `package.cancelled`, or `drone.released` other than after completion.
    package var compensated = false
    /// The ending event that decides the outcome so far.
    package var ending: SagaEnding?
    /// The latest refused cancellation.
    package var refusal: Latest<StatusReason>?

    /// The summary of no events.
    package init() {}

    /// The summary of the events of one delivery, in any order.
    package init(folding events: some Sequence<AnyEventEnvelope>) {
        self = events.reduce(into: DeliveryStatusSummary()) { summary, event in summary = summary.merging(DeliveryStatusSummary(event)) }
    }

    /// The summary of both: each member joined by its rule.
    package func merging(_ other: DeliveryStatusSummary) -> DeliveryStatusSummary {
        var merged = DeliveryStatusSummary()
        merged.latest = .later(latest, other.latest)
        merged.ownerId = .later(ownerId, other.ownerId)
        merged.droneId = .later(droneId, other.droneId)
        merged.packageId = .later(packageId, other.packageId)
        merged.pickupEta = .later(pickupEta, other.pickupEta)
        merged.dropoffEta = .later(dropoffEta, other.dropoffEta)
        merged.scheduledDropoffEta = .later(scheduledDropoffEta, other.scheduledDropoffEta)
        merged.firstDropoffEta = .earliest(firstDropoffEta, other.firstDropoffEta)
        merged.flightStart = .earliest(flightStart, other.flightStart)
        merged.scheduled = scheduled || other.scheduled
        merged.completed = completed || other.completed
        merged.compensated = compensated || other.compensated
        merged.ending = .deciding(ending, other.ending)
        merged.refusal = .later(refusal, other.refusal)
        return merged
    }

    /// The delivery's status; `nil` for the summary of no events.
    package func status(deliveryId: UUID) -> DeliveryStatus? {
        guard let latest else { return nil }
        let stage: DeliveryStage
        let sagaState: SagaState
        let reason: StatusReason?
        if completed {
            (stage, sagaState, reason) = (.completed, .completed, nil)
        } else if let ending {
            if ending.stage == .rejected && compensated {
                (stage, sagaState, reason) = (.compensated, .compensated, ending.reason)
            } else {
                (stage, sagaState, reason) = (ending.stage, ending.sagaState, ending.reason)
            }
        } else {
            (stage, sagaState, reason) = (progress, .inFlight, refusal?.value)
        }
        return DeliveryStatus(
            deliveryId: deliveryId, stage: stage, sagaState: sagaState, ownerId: ownerId?.value, droneId: droneId?.value,
            packageId: packageId?.value, pickupEta: pickupEta?.value, dropoffEta: effectiveDropoffEta?.value, reason: reason,
            lastEventType: latest.value.rawValue, updatedAt: latest.position.occurredAt)
    }

    /// How far along the happy path an in-flight delivery is.
    var progress: DeliveryStage {
        if flightStart != nil { return .headedToDropoff }
        return scheduled ? .headedToPickup : .created
    }

    /// The drop-off ETA the status shows: the latest given, except that `delivery.scheduled`'s
    /// does not count when a flight was under way before it and an earlier event had already
    /// given one (the drone's own ETA stands). Exact for the one `delivery.scheduled` the
    /// delivery service emits per delivery (of several, only the latest is kept).
    var effectiveDropoffEta: Latest<Date>? {
        guard let scheduledDropoffEta else { return dropoffEta }
        let flownBefore = flightStart.map { $0 < scheduledDropoffEta.position } ?? false
        let givenBefore = firstDropoffEta.map { $0 < scheduledDropoffEta.position } ?? false
        return flownBefore && givenBefore ? dropoffEta : .later(dropoffEta, scheduledDropoffEta)
    }
}
