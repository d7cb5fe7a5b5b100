public import Foundation

/// `drone.allocated`: a free drone with enough payload and range was reserved.
public struct DroneAllocated: DomainEvent {
    /// `drone.allocated`.
    public static let eventType = EventType.droneAllocated
    /// Version 1.
    public static let schemaVersion = 1
    /// The drone service.
    public static let producer = Producer.drone

    /// The reserved drone.
    public var droneId: String
    /// The package it will carry.
    public var packageId: UUID
    /// When it is expected at the pickup point.
    public var pickupEta: Date
    /// When it is expected at the drop-off point.
    public var dropoffEta: Date
    /// Where it drops off (for the delivery service's no-fly-zone check).
    public var dropoffLocation: GeoLocation
    /// The delivery's deadline (for the delivery service's deadline check).
    public var deadline: Date

    /// An allocation.
    public init(
        droneId: String, packageId: UUID, pickupEta: Date, dropoffEta: Date, dropoffLocation: GeoLocation,
        deadline: Date
    ) {
        self.droneId = droneId
        self.packageId = packageId
        self.pickupEta = pickupEta
        self.dropoffEta = dropoffEta
        self.dropoffLocation = dropoffLocation
        self.deadline = deadline
    }

    /// The drone for ``PackageCreated/sample()``.
    public static func sample() -> DroneAllocated {
        DroneAllocated(
            droneId: SampleValues.droneId, packageId: SampleValues.packageId,
            pickupEta: SampleValues.time("2026-06-15T08:10:00.000Z"),
            dropoffEta: SampleValues.time("2026-06-15T08:24:30.500Z"), dropoffLocation: SampleValues.dropoff,
            deadline: SampleValues.time("2026-06-15T10:00:00.000Z"))
    }
}

/// `drone.allocation-failed`: no drone could be reserved; the package is cancelled.
public struct DroneAllocationFailed: ReasonCarryingEvent {
    /// Why no drone was allocated.
    public enum Code: String, ReasonCode {
        /// No drone can carry the weight.
        case noDroneWithCapacity = "NO_DRONE_WITH_CAPACITY"
        /// No drone has the range for the route.
        case noDroneInRange = "NO_DRONE_IN_RANGE"
        /// Every suitable drone is busy.
        case noDroneAvailable = "NO_DRONE_AVAILABLE"
    }

    /// `drone.allocation-failed`.
    public static let eventType = EventType.droneAllocationFailed
    /// Version 1.
    public static let schemaVersion = 1
    /// The drone service.
    public static let producer = Producer.drone

    /// The package no drone was found for.
    public var packageId: UUID
    /// Why.
    public var reason: Reason<Code>

    /// A failed allocation.
    public init(packageId: UUID, reason: Reason<Code>) {
        self.packageId = packageId
        self.reason = reason
    }

    /// A route out of every drone's range.
    public static func sample() -> DroneAllocationFailed {
        DroneAllocationFailed(
            packageId: SampleValues.packageId, reason: Reason(.noDroneInRange, "No drone has a 60 km range."))
    }
}

/// `drone.released`: a drone went back to the pool, as a compensation or after a completed delivery.
public struct DroneReleased: ReasonCarryingEvent {
    /// The event that released the drone.
    public enum Code: String, ReasonCode {
        /// `account.rejected` (compensation).
        case accountRejected = "ACCOUNT_REJECTED"
        /// `delivery.scheduling-failed` (compensation).
        case schedulingFailed = "SCHEDULING_FAILED"
        /// `delivery.cancellation-requested` or `delivery.cancelled` before the pickup (compensation).
        case deliveryCancelled = "DELIVERY_CANCELLED"
        /// `delivery.completed` (the normal end).
        case deliveryCompleted = "DELIVERY_COMPLETED"
    }

    /// `drone.released`.
    public static let eventType = EventType.droneReleased
    /// Version 1.
    public static let schemaVersion = 1
    /// The drone service.
    public static let producer = Producer.drone

    /// The released drone.
    public var droneId: String
    /// What released it.
    public var reason: Reason<Code>

    /// A release.
    public init(droneId: String, reason: Reason<Code>) {
        self.droneId = droneId
        self.reason = reason
    }

    /// A drone released because the account was rejected.
    public static func sample() -> DroneReleased {
        DroneReleased(droneId: SampleValues.droneId, reason: Reason(.accountRejected, "The account was rejected."))
    }
}

/// `drone.picked-up`: the drone has the package and is headed to the drop-off point.
public struct DronePickedUp: DomainEvent {
    /// `drone.picked-up`.
    public static let eventType = EventType.dronePickedUp
    /// Version 1.
    public static let schemaVersion = 1
    /// The drone service.
    public static let producer = Producer.drone

    /// The drone.
    public var droneId: String
    /// The package it carries.
    public var packageId: UUID
    /// When it is expected at the drop-off point.
    public var dropoffEta: Date

    /// A pickup.
    public init(droneId: String, packageId: UUID, dropoffEta: Date) {
        self.droneId = droneId
        self.packageId = packageId
        self.dropoffEta = dropoffEta
    }

    /// The pickup of ``DroneAllocated/sample()``.
    public static func sample() -> DronePickedUp {
        DronePickedUp(
            droneId: SampleValues.droneId, packageId: SampleValues.packageId,
            dropoffEta: SampleValues.time("2026-06-15T08:24:30.500Z"))
    }
}

/// `drone.delivered`: the drone dropped the package off.
public struct DroneDelivered: DomainEvent {
    /// `drone.delivered`.
    public static let eventType = EventType.droneDelivered
    /// Version 1.
    public static let schemaVersion = 1
    /// The drone service.
    public static let producer = Producer.drone

    /// The drone.
    public var droneId: String
    /// The delivered package.
    public var packageId: UUID
    /// Where it was dropped off.
    public var dropoffLocation: GeoLocation

    /// A drop-off.
    public init(droneId: String, packageId: UUID, dropoffLocation: GeoLocation) {
        self.droneId = droneId
        self.packageId = packageId
        self.dropoffLocation = dropoffLocation
    }

    /// The drop-off of ``DroneAllocated/sample()``.
    public static func sample() -> DroneDelivered {
        DroneDelivered(droneId: SampleValues.droneId, packageId: SampleValues.packageId, dropoffLocation: SampleValues.dropoff)
    }
}
