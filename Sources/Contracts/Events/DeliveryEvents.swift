public import Foundation

/// `delivery.scheduled`: account validated, drone allocated, route and deadline fine; the flight may start.
public struct DeliveryScheduled: DomainEvent {
    /// `delivery.scheduled`.
    public static let eventType = EventType.deliveryScheduled
    /// Version 1.
    public static let schemaVersion = 1
    /// The delivery service.
    public static let producer = Producer.delivery

    /// The delivery's owner.
    public var ownerId: String
    /// The allocated drone.
    public var droneId: String
    /// The package.
    public var packageId: UUID
    /// When the drone is expected at the pickup point.
    public var pickupEta: Date
    /// When it is expected at the drop-off point.
    public var dropoffEta: Date

    /// A schedule.
    public init(ownerId: String, droneId: String, packageId: UUID, pickupEta: Date, dropoffEta: Date) {
        self.ownerId = ownerId
        self.droneId = droneId
        self.packageId = packageId
        self.pickupEta = pickupEta
        self.dropoffEta = dropoffEta
    }

    /// The schedule of ``DroneAllocated/sample()``.
    public static func sample() -> DeliveryScheduled {
        let allocation = DroneAllocated.sample()
        return DeliveryScheduled(
            ownerId: SampleValues.ownerId, droneId: allocation.droneId, packageId: allocation.packageId,
            pickupEta: allocation.pickupEta, dropoffEta: allocation.dropoffEta)
    }
}

/// `delivery.scheduling-failed`: the delivery cannot be scheduled; the drone is released and the
/// package cancelled.
public struct DeliverySchedulingFailed: ReasonCarryingEvent {
    /// Why scheduling failed.
    public enum Code: String, ReasonCode {
        /// The drop-off ETA is after the deadline.
        case deadlineUnreachable = "DEADLINE_UNREACHABLE"
        /// The drop-off point is inside a no-fly zone.
        case noFlyZone = "NO_FLY_ZONE"
        /// `account.validated` and `drone.allocated` did not both arrive in time.
        case joinTimedOut = "JOIN_TIMED_OUT"
        /// The account branch failed (`account.rejected`).
        case accountRejected = "ACCOUNT_REJECTED"
        /// The package branch failed (`package.rejected`).
        case packageRejected = "PACKAGE_REJECTED"
        /// The drone branch failed (`drone.allocation-failed`).
        case droneAllocationFailed = "DRONE_ALLOCATION_FAILED"
    }

    /// `delivery.scheduling-failed`.
    public static let eventType = EventType.deliverySchedulingFailed
    /// Version 1.
    public static let schemaVersion = 1
    /// The delivery service.
    public static let producer = Producer.delivery

    /// Why.
    public var reason: Reason<Code>
    /// The allocated drone, if one was.
    public var droneId: String?
    /// The package, if one was created.
    public var packageId: UUID?

    /// A scheduling failure.
    public init(reason: Reason<Code>, droneId: String? = nil, packageId: UUID? = nil) {
        self.reason = reason
        self.droneId = droneId
        self.packageId = packageId
    }

    /// A drop-off inside a no-fly zone.
    public static func sample() -> DeliverySchedulingFailed {
        DeliverySchedulingFailed(
            reason: Reason(.noFlyZone, "Drop-off is inside no-fly zone 'airport'."), droneId: SampleValues.droneId,
            packageId: SampleValues.packageId)
    }
}

/// `delivery.completed`: the package was delivered; the saga completed.
public struct DeliveryCompleted: DomainEvent {
    /// `delivery.completed`.
    public static let eventType = EventType.deliveryCompleted
    /// Version 1.
    public static let schemaVersion = 1
    /// The delivery service.
    public static let producer = Producer.delivery

    /// The drone, which now returns to the pool.
    public var droneId: String
    /// The delivered package.
    public var packageId: UUID

    /// A completion.
    public init(droneId: String, packageId: UUID) {
        self.droneId = droneId
        self.packageId = packageId
    }

    /// The completion of ``DeliveryScheduled/sample()``.
    public static func sample() -> DeliveryCompleted {
        DeliveryCompleted(droneId: SampleValues.droneId, packageId: SampleValues.packageId)
    }
}

/// `delivery.cancelled`: cancelled before pickup; the drone is released and the package cancelled.
public struct DeliveryCancelled: ReasonCarryingEvent {
    /// Who asked for the cancellation.
    public enum Code: String, ReasonCode {
        /// The customer.
        case customerRequest = "CUSTOMER_REQUEST"
        /// An operator.
        case operatorRequest = "OPERATOR_REQUEST"
        /// Nobody: the drone had not picked the package up a grace period after its pickup ETA
        /// (`delivery.pickup-overdue`), and the drone service released it.
        case pickupOverdue = "PICKUP_OVERDUE"
    }

    /// `delivery.cancelled`.
    public static let eventType = EventType.deliveryCancelled
    /// Version 1.
    public static let schemaVersion = 1
    /// The delivery service.
    public static let producer = Producer.delivery

    /// Who asked.
    public var reason: Reason<Code>
    /// The allocated drone, if one was.
    public var droneId: String?
    /// The package, if one was created.
    public var packageId: UUID?

    /// A cancellation.
    public init(reason: Reason<Code>, droneId: String? = nil, packageId: UUID? = nil) {
        self.reason = reason
        self.droneId = droneId
        self.packageId = packageId
    }

    /// A customer's cancellation before any drone was allocated.
    public static func sample() -> DeliveryCancelled {
        DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer."), packageId: SampleValues.packageId)
    }
}

/// `delivery.cancellation-refused`: the cancellation came too late.
public struct DeliveryCancellationRefused: ReasonCarryingEvent {
    /// Why the cancellation was refused.
    public enum Code: String, ReasonCode {
        /// The drone already has the package.
        case alreadyPickedUp = "ALREADY_PICKED_UP"
        /// The delivery already completed.
        case alreadyCompleted = "ALREADY_COMPLETED"
        /// The delivery was already cancelled.
        case alreadyCancelled = "ALREADY_CANCELLED"
        /// The delivery had already failed.
        case alreadyFailed = "ALREADY_FAILED"
    }

    /// `delivery.cancellation-refused`.
    public static let eventType = EventType.deliveryCancellationRefused
    /// Version 1.
    public static let schemaVersion = 1
    /// The delivery service.
    public static let producer = Producer.delivery

    /// Why.
    public var reason: Reason<Code>
    /// The drone carrying the package, if any.
    public var droneId: String?

    /// A refusal.
    public init(reason: Reason<Code>, droneId: String? = nil) {
        self.reason = reason
        self.droneId = droneId
    }

    /// A cancellation after pickup.
    public static func sample() -> DeliveryCancellationRefused {
        DeliveryCancellationRefused(
            reason: Reason(.alreadyPickedUp, "The package was picked up at 08:10."), droneId: SampleValues.droneId)
    }
}

/// `delivery.pickup-overdue`: a scheduled delivery's drone had not picked the package up a grace
/// period after its pickup ETA. The drone service, which alone decides the pickup, releases a
/// drone still waiting (`drone.released` `DELIVERY_CANCELLED`, then `delivery.cancelled`
/// `PICKUP_OVERDUE`) or ignores it once the package is on board. It bounds how long a saga holds
/// a drone that never flies.
public struct DeliveryPickupOverdue: ReasonCarryingEvent {
    /// Why the pickup is overdue.
    public enum Code: String, ReasonCode {
        /// No `drone.picked-up` a grace period after the pickup ETA.
        case pickupOverdue = "PICKUP_OVERDUE"
    }

    /// `delivery.pickup-overdue`.
    public static let eventType = EventType.deliveryPickupOverdue
    /// Version 1.
    public static let schemaVersion = 1
    /// The delivery service.
    public static let producer = Producer.delivery

    /// Why, with the ETA and the grace period.
    public var reason: Reason<Code>
    /// The drone that should have picked the package up.
    public var droneId: String
    /// The package.
    public var packageId: UUID

    /// An overdue pickup.
    public init(reason: Reason<Code>, droneId: String, packageId: UUID) {
        self.reason = reason
        self.droneId = droneId
        self.packageId = packageId
    }

    /// The overdue pickup of ``DeliveryScheduled/sample()``.
    public static func sample() -> DeliveryPickupOverdue {
        DeliveryPickupOverdue(
            reason: Reason(.pickupOverdue, "No pickup 900 s after the pickup ETA 2026-06-15T08:12:00.000Z."),
            droneId: SampleValues.droneId, packageId: SampleValues.packageId)
    }
}
