import Contracts
import Foundation
import HistoryService

/// The status projection as history ran it before ``DeliveryStatusSummary``: all of a delivery's
/// logged events sorted by `occurredAt` (then event id) and read in that order. Kept here, and
/// only here, as the oracle the incremental fold is checked against; production code has one
/// copy of the rules (the summary).
enum FullLogProjection {
    /// The status of the delivery whose events these are (all of one delivery, in any order);
    /// `nil` for no events.
    static func project(_ events: [AnyEventEnvelope]) -> DeliveryStatus? {
        let sorted = events.sorted(by: occursBefore)
        guard let first = sorted.first, let last = sorted.last else { return nil }

        var fields = Fields()
        var progress = DeliveryStage.created
        var outcome: (precedence: Int, stage: DeliveryStage, sagaState: SagaState, reason: StatusReason)?
        var completed = false
        var compensated = false
        var refusal: StatusReason?

        /// Keeps the outcome whose event decides by `SagaOutcomeRule` (among equals, the first).
        func decide(_ type: EventType, _ stage: DeliveryStage, _ sagaState: SagaState, _ reason: StatusReason) {
            let precedence = SagaOutcomeRule.rank(of: type) ?? Int.max
            if outcome.map({ precedence < $0.precedence }) ?? true { outcome = (precedence, stage, sagaState, reason) }
        }
        func advance(to stage: DeliveryStage) {
            if stage.rank > progress.rank { progress = stage }
        }

        for event in sorted {
            switch event.type {
            case .deliveryRequested:
                if let payload = try? event.payload(as: DeliveryRequested.self) { fields.ownerId = payload.ownerId }
            case .accountValidated:
                if let payload = try? event.payload(as: AccountValidated.self) { fields.ownerId = payload.ownerId }
            case .accountRejected:
                if let payload = try? event.payload(as: AccountRejected.self) {
                    fields.ownerId = payload.ownerId
                    decide(.accountRejected, .rejected, .rejected, StatusReason(payload.reason))
                }
            case .packageCreated:
                if let payload = try? event.payload(as: PackageCreated.self) { fields.packageId = payload.packageId }
            case .packageRejected:
                if let payload = try? event.payload(as: PackageRejected.self) {
                    decide(.packageRejected, .rejected, .rejected, StatusReason(payload.reason))
                }
            case .packageCancelled:
                if let payload = try? event.payload(as: PackageCancelled.self) { fields.packageId = payload.packageId }
                compensated = true
            case .droneAllocated:
                if let payload = try? event.payload(as: DroneAllocated.self) {
                    fields.droneId = payload.droneId
                    fields.packageId = payload.packageId
                    fields.pickupEta = payload.pickupEta
                    fields.dropoffEta = payload.dropoffEta
                }
            case .droneAllocationFailed:
                if let payload = try? event.payload(as: DroneAllocationFailed.self) {
                    fields.packageId = payload.packageId
                    decide(.droneAllocationFailed, .compensated, .compensated, StatusReason(payload.reason))
                }
            case .droneReleased:
                if let payload = try? event.payload(as: DroneReleased.self) {
                    fields.droneId = payload.droneId
                    if payload.reason.code != .deliveryCompleted { compensated = true }
                }
            case .dronePickedUp:
                advance(to: .headedToDropoff)
                if let payload = try? event.payload(as: DronePickedUp.self) {
                    fields.droneId = payload.droneId
                    fields.packageId = payload.packageId
                    fields.dropoffEta = payload.dropoffEta
                }
            case .droneDelivered:
                advance(to: .headedToDropoff)
            case .deliveryScheduled:
                advance(to: .headedToPickup)
                if let payload = try? event.payload(as: DeliveryScheduled.self) {
                    fields.ownerId = payload.ownerId
                    fields.droneId = payload.droneId
                    fields.packageId = payload.packageId
                    fields.pickupEta = payload.pickupEta
                    if progress == .headedToPickup || fields.dropoffEta == nil { fields.dropoffEta = payload.dropoffEta }
                }
            case .deliverySchedulingFailed:
                if let payload = try? event.payload(as: DeliverySchedulingFailed.self) {
                    if let droneId = payload.droneId { fields.droneId = droneId }
                    if let packageId = payload.packageId { fields.packageId = packageId }
                    decide(.deliverySchedulingFailed, .compensated, .compensated, StatusReason(payload.reason))
                }
            case .deliveryCompleted:
                completed = true
            case .deliveryCancelled:
                if let payload = try? event.payload(as: DeliveryCancelled.self) {
                    decide(.deliveryCancelled, .cancelled, .compensated, StatusReason(payload.reason))
                }
            case .deliveryCancellationRefused:
                if let payload = try? event.payload(as: DeliveryCancellationRefused.self) {
                    refusal = StatusReason(payload.reason)
                }
            default:
                break
            }
        }

        let stage: DeliveryStage
        let sagaState: SagaState
        let reason: StatusReason?
        if completed {
            (stage, sagaState, reason) = (.completed, .completed, nil)
        } else if let outcome {
            if outcome.stage == .rejected && compensated {
                (stage, sagaState, reason) = (.compensated, .compensated, outcome.reason)
            } else {
                (stage, sagaState, reason) = (outcome.stage, outcome.sagaState, outcome.reason)
            }
        } else {
            (stage, sagaState, reason) = (progress, .inFlight, refusal)
        }
        return DeliveryStatus(
            deliveryId: first.deliveryId, stage: stage, sagaState: sagaState, ownerId: fields.ownerId,
            droneId: fields.droneId, packageId: fields.packageId, pickupEta: fields.pickupEta,
            dropoffEta: fields.dropoffEta, reason: reason, lastEventType: last.type.rawValue, updatedAt: last.occurredAt)
    }

    /// The order the projection reads events in: by `occurredAt`, then by event id.
    static func occursBefore(_ a: AnyEventEnvelope, _ b: AnyEventEnvelope) -> Bool {
        if a.occurredAt != b.occurredAt { return a.occurredAt < b.occurredAt }
        return a.id.uuidString < b.id.uuidString
    }

    /// The facts the status shows, latest event wins.
    private struct Fields {
        var ownerId: String?
        var droneId: String?
        var packageId: UUID?
        var pickupEta: Date?
        var dropoffEta: Date?
    }
}

extension DeliveryStage {
    /// How far along the happy path an in-flight stage is.
    fileprivate var rank: Int {
        switch self {
        case .created: 0
        case .headedToPickup: 1
        case .headedToDropoff: 2
        default: 3
        }
    }
}
