package import Contracts
import Foundation

extension DeliveryStatusSummary {
    /// What one event contributes to its delivery's status: the facts it states, each stamped
    /// with the event's position. A payload that does not decode states only what its type does.
    package init(_ event: AnyEventEnvelope) {
        let position = LogPosition(of: event)
        func at<Value>(_ value: Value) -> Latest<Value> { Latest(value, at: position) }
        func decided(_ stage: DeliveryStage, _ sagaState: SagaState, _ reason: StatusReason) -> SagaEnding {
            SagaEnding(type: event.type, position: position, stage: stage, sagaState: sagaState, reason: reason)
        }
        self.init()
        latest = at(event.type)
        switch event.type {
        case .deliveryRequested:
            if let payload = try? event.payload(as: DeliveryRequested.self) { ownerId = at(payload.ownerId) }
        case .accountValidated:
            if let payload = try? event.payload(as: AccountValidated.self) { ownerId = at(payload.ownerId) }
        case .accountRejected:
            if let payload = try? event.payload(as: AccountRejected.self) {
                ownerId = at(payload.ownerId)
                ending = decided(.rejected, .rejected, StatusReason(payload.reason))
            }
        case .packageCreated:
            if let payload = try? event.payload(as: PackageCreated.self) { packageId = at(payload.packageId) }
        case .packageRejected:
            if let payload = try? event.payload(as: PackageRejected.self) {
                ending = decided(.rejected, .rejected, StatusReason(payload.reason))
            }
        case .packageCancelled:
            if let payload = try? event.payload(as: PackageCancelled.self) { packageId = at(payload.packageId) }
            compensated = true
        case .droneAllocated:
            if let payload = try? event.payload(as: DroneAllocated.self) {
                droneId = at(payload.droneId)
                packageId = at(payload.packageId)
                pickupEta = at(payload.pickupEta)
                dropoffEta = at(payload.dropoffEta)
                firstDropoffEta = position
            }
        case .droneAllocationFailed:
            if let payload = try? event.payload(as: DroneAllocationFailed.self) {
                packageId = at(payload.packageId)
                ending = decided(.compensated, .compensated, StatusReason(payload.reason))
            }
        case .droneReleased:
            if let payload = try? event.payload(as: DroneReleased.self) {
                droneId = at(payload.droneId)
                compensated = payload.reason.code != .deliveryCompleted
            }
        case .dronePickedUp:
            flightStart = position
            if let payload = try? event.payload(as: DronePickedUp.self) {
                droneId = at(payload.droneId)
                packageId = at(payload.packageId)
                dropoffEta = at(payload.dropoffEta)
                firstDropoffEta = position
            }
        case .droneDelivered:
            flightStart = position
        case .deliveryScheduled:
            scheduled = true
            if let payload = try? event.payload(as: DeliveryScheduled.self) {
                ownerId = at(payload.ownerId)
                droneId = at(payload.droneId)
                packageId = at(payload.packageId)
                pickupEta = at(payload.pickupEta)
                scheduledDropoffEta = at(payload.dropoffEta)
                firstDropoffEta = position
            }
        case .deliverySchedulingFailed:
            if let payload = try? event.payload(as: DeliverySchedulingFailed.self) {
                droneId = payload.droneId.map(at)
                packageId = payload.packageId.map(at)
                ending = decided(.compensated, .compensated, StatusReason(payload.reason))
            }
        case .deliveryCompleted:
            completed = true
        case .deliveryCancelled:
            if let payload = try? event.payload(as: DeliveryCancelled.self) {
                ending = decided(.cancelled, .compensated, StatusReason(payload.reason))
            }
        case .deliveryCancellationRefused:
            if let payload = try? event.payload(as: DeliveryCancellationRefused.self) { refusal = at(StatusReason(payload.reason)) }
        default:
            break
        }
    }
}
