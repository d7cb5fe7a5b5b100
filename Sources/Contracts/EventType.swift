/// An event type, which is also its AMQP routing key (`package.created`).
///
/// A struct of constants rather than an enum, so adding an event type does not break code that
/// switches over the known ones.
public struct EventType: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The routing key.
    public let rawValue: String

    /// An event type from its routing key (known or not; see ``all``).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// An event type from its routing key.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The routing key.
    public var description: String { rawValue }

    /// Orders by routing key.
    public static func < (lhs: EventType, rhs: EventType) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A customer asked for a delivery (ingestion).
    public static let deliveryRequested = EventType("delivery.requested")
    /// A customer or operator asked to cancel a delivery (ingestion).
    public static let deliveryCancellationRequested = EventType("delivery.cancellation-requested")
    /// The owner's account may request the delivery (account).
    public static let accountValidated = EventType("account.validated")
    /// The owner's account may not request the delivery (account).
    public static let accountRejected = EventType("account.rejected")
    /// The package was registered (package).
    public static let packageCreated = EventType("package.created")
    /// The package breaks the size or weight rules (package).
    public static let packageRejected = EventType("package.rejected")
    /// Compensation: the package was cancelled (package).
    public static let packageCancelled = EventType("package.cancelled")
    /// A drone was reserved for the delivery (drone).
    public static let droneAllocated = EventType("drone.allocated")
    /// No drone could be reserved (drone).
    public static let droneAllocationFailed = EventType("drone.allocation-failed")
    /// A drone went back to the pool (drone).
    public static let droneReleased = EventType("drone.released")
    /// The drone picked the package up (drone).
    public static let dronePickedUp = EventType("drone.picked-up")
    /// The drone dropped the package off (drone).
    public static let droneDelivered = EventType("drone.delivered")
    /// The flight may start (delivery).
    public static let deliveryScheduled = EventType("delivery.scheduled")
    /// The delivery cannot be scheduled (delivery).
    public static let deliverySchedulingFailed = EventType("delivery.scheduling-failed")
    /// The saga completed (delivery).
    public static let deliveryCompleted = EventType("delivery.completed")
    /// The delivery was cancelled before pickup (delivery).
    public static let deliveryCancelled = EventType("delivery.cancelled")
    /// A cancellation came too late (delivery).
    public static let deliveryCancellationRefused = EventType("delivery.cancellation-refused")
    /// The pickup is overdue: the drone service is asked to release a drone still waiting (delivery).
    public static let deliveryPickupOverdue = EventType("delivery.pickup-overdue")

    /// Every event type of the contracts, in saga order.
    public static let all: [EventType] = [
        .deliveryRequested, .deliveryCancellationRequested, .accountValidated, .accountRejected,
        .packageCreated, .packageRejected, .packageCancelled, .droneAllocated, .droneAllocationFailed,
        .droneReleased, .dronePickedUp, .droneDelivered, .deliveryScheduled, .deliverySchedulingFailed,
        .deliveryCompleted, .deliveryCancelled, .deliveryCancellationRefused, .deliveryPickupOverdue,
    ]

    /// The schema file of this type's payload in a version, relative to `schemas/`
    /// (`events/package.created.v1.json`).
    public func schemaPath(version: Int) -> String { "events/\(rawValue).v\(version).json" }
}
