public import Foundation

/// `package.created`: the package passed its rules and was registered; carries the route the drone
/// service needs.
public struct PackageCreated: DomainEvent {
    /// `package.created`.
    public static let eventType = EventType.packageCreated
    /// Version 1.
    public static let schemaVersion = 1
    /// The package service.
    public static let producer = Producer.package

    /// The new package.
    public var packageId: UUID
    /// Its size, weight (more than 0 kg) and tag.
    public var packageInfo: PackageInfo
    /// Where it is picked up.
    public var pickupLocation: GeoLocation
    /// Where it is dropped off.
    public var dropoffLocation: GeoLocation
    /// When it is ready for pickup.
    public var pickupTime: Date
    /// When it must be delivered at the latest.
    public var deadline: Date
    /// Whether the delivery has priority.
    public var expedited: Bool

    /// A created package.
    public init(
        packageId: UUID, packageInfo: PackageInfo, pickupLocation: GeoLocation, dropoffLocation: GeoLocation,
        pickupTime: Date, deadline: Date, expedited: Bool
    ) {
        self.packageId = packageId
        self.packageInfo = packageInfo
        self.pickupLocation = pickupLocation
        self.dropoffLocation = dropoffLocation
        self.pickupTime = pickupTime
        self.deadline = deadline
        self.expedited = expedited
    }

    /// The package of ``DeliveryRequested/sample()``.
    public static func sample() -> PackageCreated {
        let request = DeliveryRequested.sample()
        return PackageCreated(
            packageId: SampleValues.packageId, packageInfo: request.packageInfo, pickupLocation: request.pickupLocation,
            dropoffLocation: request.dropoffLocation, pickupTime: request.pickupTime, deadline: request.deadline,
            expedited: request.expedited)
    }
}

/// `package.rejected`: the package breaks the size or weight rules; nothing else starts.
public struct PackageRejected: ReasonCarryingEvent {
    /// Which rule the package breaks.
    public enum Code: String, ReasonCode {
        /// The weight is over the limit of the declared size.
        case invalidSize = "INVALID_SIZE"
        /// The weight is over the largest drone's payload.
        case overweight = "OVERWEIGHT"
        /// The weight is zero or less.
        case nonPositiveWeight = "NON_POSITIVE_WEIGHT"
    }

    /// `package.rejected`.
    public static let eventType = EventType.packageRejected
    /// Version 1.
    public static let schemaVersion = 1
    /// The package service.
    public static let producer = Producer.package

    /// The package as requested.
    public var packageInfo: PackageInfo
    /// Which rule it breaks.
    public var reason: Reason<Code>

    /// A rejection.
    public init(packageInfo: PackageInfo, reason: Reason<Code>) {
        self.packageInfo = packageInfo
        self.reason = reason
    }

    /// An over-weight package.
    public static func sample() -> PackageRejected {
        PackageRejected(
            packageInfo: PackageInfo(size: .large, weightKg: 120, tag: "anvil"),
            reason: Reason(.overweight, "120 kg is over the largest drone's payload of 25 kg."))
    }
}

/// `package.cancelled`: compensation; a created package was cancelled.
public struct PackageCancelled: ReasonCarryingEvent {
    /// The failure or cancellation that caused the compensation.
    public enum Code: String, ReasonCode {
        /// `account.rejected`.
        case accountRejected = "ACCOUNT_REJECTED"
        /// `drone.allocation-failed`.
        case droneAllocationFailed = "DRONE_ALLOCATION_FAILED"
        /// `delivery.scheduling-failed`.
        case schedulingFailed = "SCHEDULING_FAILED"
        /// `delivery.cancelled`.
        case deliveryCancelled = "DELIVERY_CANCELLED"
    }

    /// `package.cancelled`.
    public static let eventType = EventType.packageCancelled
    /// Version 1.
    public static let schemaVersion = 1
    /// The package service.
    public static let producer = Producer.package

    /// The cancelled package.
    public var packageId: UUID
    /// What caused the cancellation.
    public var reason: Reason<Code>

    /// A cancellation.
    public init(packageId: UUID, reason: Reason<Code>) {
        self.packageId = packageId
        self.reason = reason
    }

    /// A package cancelled because the delivery was.
    public static func sample() -> PackageCancelled {
        PackageCancelled(
            packageId: SampleValues.packageId, reason: Reason(.deliveryCancelled, "The delivery was cancelled."))
    }
}
