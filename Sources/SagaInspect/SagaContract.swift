import Contracts

/// What saga-inspect knows of the saga's contract: who produces each event,
/// who consumes it, which events are failures and which are compensations.
package enum SagaContract {
    /// The six services, in the order their lanes are drawn.
    package static let services = ["ingestion", "account", "package", "drone", "delivery", "history"]

    /// Events that end the saga's forward path.
    package static let failureTypes: Set<String> = [
        EventType.accountRejected.rawValue, EventType.packageRejected.rawValue, EventType.droneAllocationFailed.rawValue,
        EventType.deliverySchedulingFailed.rawValue, EventType.deliveryCancelled.rawValue,
    ]

    /// The reason code of a `drone.released` that is the normal end, not a compensation.
    package static let completedReleaseCode = "DELIVERY_COMPLETED"

    /// Whether an event undoes an earlier step: `package.cancelled`, and `drone.released` unless
    /// its reason is `DELIVERY_COMPLETED` (the drone's normal return to the pool).
    package static func isCompensation(type: String, reasonCode: String?) -> Bool {
        switch type {
        case EventType.packageCancelled.rawValue: true
        case EventType.droneReleased.rawValue: reasonCode != completedReleaseCode
        default: false
        }
    }

    /// The service that produces an event type (from its prefix; the two ingestion events are
    /// `delivery.requested` and `delivery.cancellation-requested`).
    package static func producer(of type: String) -> String {
        switch type {
        case EventType.deliveryRequested.rawValue, EventType.deliveryCancellationRequested.rawValue: return "ingestion"
        default: return String(type.prefix { $0 != "." })
        }
    }

    /// The services bound to an event type besides history (which takes every event).
    package static func consumers(of type: String) -> [String] {
        EventCatalog.consumers(of: EventType(type)).map(\.rawValue)
    }

    /// Which kind of end a failure event gives the saga.
    static func ending(of failureType: String) -> SagaVerdict {
        switch failureType {
        case EventType.accountRejected.rawValue, EventType.packageRejected.rawValue: .rejected
        case EventType.deliveryCancelled.rawValue: .cancelled
        default: .compensated
        }
    }
}
