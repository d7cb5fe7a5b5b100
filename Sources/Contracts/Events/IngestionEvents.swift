public import Foundation

/// `delivery.requested`: a customer asked for a package to be flown; starts the saga.
public struct DeliveryRequested: DomainEvent {
    /// `delivery.requested`.
    public static let eventType = EventType.deliveryRequested
    /// Version 1.
    public static let schemaVersion = 1
    /// The ingestion service.
    public static let producer = Producer.ingestion

    /// The account that owns the delivery.
    public var ownerId: String
    /// Where the drone picks the package up.
    public var pickupLocation: GeoLocation
    /// Where the drone drops it off.
    public var dropoffLocation: GeoLocation
    /// When the package is ready for pickup.
    public var pickupTime: Date
    /// When it must be delivered at the latest.
    public var deadline: Date
    /// Whether the customer paid for priority.
    public var expedited: Bool
    /// How the recipient confirms the drop-off.
    public var confirmationRequired: ConfirmationType
    /// What is flown.
    public var packageInfo: PackageInfo

    /// A delivery request.
    public init(
        ownerId: String, pickupLocation: GeoLocation, dropoffLocation: GeoLocation, pickupTime: Date,
        deadline: Date, expedited: Bool, confirmationRequired: ConfirmationType, packageInfo: PackageInfo
    ) {
        self.ownerId = ownerId
        self.pickupLocation = pickupLocation
        self.dropoffLocation = dropoffLocation
        self.pickupTime = pickupTime
        self.deadline = deadline
        self.expedited = expedited
        self.confirmationRequired = confirmationRequired
        self.packageInfo = packageInfo
    }

    /// A medium package with picture confirmation, due within two hours.
    public static func sample() -> DeliveryRequested {
        DeliveryRequested(
            ownerId: SampleValues.ownerId, pickupLocation: SampleValues.pickup, dropoffLocation: SampleValues.dropoff,
            pickupTime: SampleValues.time("2026-06-15T08:00:00.000Z"),
            deadline: SampleValues.time("2026-06-15T10:00:00.000Z"), expedited: false, confirmationRequired: .picture,
            packageInfo: PackageInfo(size: .medium, weightKg: 3.75, tag: "sample-parcel"))
    }
}

/// `delivery.cancellation-requested`: someone asked to cancel; the delivery service decides.
public struct DeliveryCancellationRequested: ReasonCarryingEvent {
    /// Who asked.
    public enum Code: String, ReasonCode {
        /// The customer, through `DELETE /api/deliveries/{id}`.
        case customerRequest = "CUSTOMER_REQUEST"
        /// An operator.
        case operatorRequest = "OPERATOR_REQUEST"
    }

    /// `delivery.cancellation-requested`.
    public static let eventType = EventType.deliveryCancellationRequested
    /// Version 1.
    public static let schemaVersion = 1
    /// The ingestion service.
    public static let producer = Producer.ingestion

    /// Who asked, and why.
    public var reason: Reason<Code>

    /// A cancellation request.
    public init(reason: Reason<Code>) { self.reason = reason }

    /// A customer's cancellation.
    public static func sample() -> DeliveryCancellationRequested {
        DeliveryCancellationRequested(reason: Reason(.customerRequest, "Cancelled by the customer."))
    }
}
