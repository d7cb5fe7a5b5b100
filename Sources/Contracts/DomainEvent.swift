/// The payload of one event type: a Codable value that is the envelope's `data`.
///
/// Each conforming type matches `schemas/events/<eventType>.v<schemaVersion>.json`; the contract
/// tests check that its `sample()` encodes to JSON that validates and that every schema example
/// decodes into it.
public protocol DomainEvent: Codable, Sendable, Equatable {
    /// The event type (routing key) this payload belongs to.
    static var eventType: EventType { get }
    /// The schema version this type encodes.
    static var schemaVersion: Int { get }
    /// The only service that produces this event.
    static var producer: Producer { get }
    /// A representative, valid value, for tests and documentation.
    static func sample() -> Self
}

/// The machine-readable reason codes of one event type; the schema lists the same values.
public protocol ReasonCode: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

/// A failure, compensation or cancellation event: it says why, with a code and a message.
public protocol ReasonCarryingEvent: DomainEvent {
    /// The codes this event's reason may carry.
    associatedtype Code: ReasonCode
    /// Why the event happened.
    var reason: Reason<Code> { get }
}

extension ReasonCarryingEvent {
    /// Every reason code this event type may carry, as the schema spells them.
    public static var reasonCodes: [String] { Code.allCases.map(\.rawValue) }
}

/// Why something failed or was undone: a machine-readable code and a human message.
public struct Reason<Code: ReasonCode>: Codable, Sendable, Hashable {
    /// What programs branch on.
    public var code: Code
    /// What people read (1–500 characters); never parsed.
    public var message: String

    /// A reason with its code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// The Swift payload type of every event type.
public enum EventCatalog {
    /// Every payload type, in the order of ``EventType/all``.
    public static let payloadTypes: [any DomainEvent.Type] = [
        DeliveryRequested.self, DeliveryCancellationRequested.self, AccountValidated.self, AccountRejected.self,
        PackageCreated.self, PackageRejected.self, PackageCancelled.self, DroneAllocated.self,
        DroneAllocationFailed.self, DroneReleased.self, DronePickedUp.self, DroneDelivered.self,
        DeliveryScheduled.self, DeliverySchedulingFailed.self, DeliveryCompleted.self, DeliveryCancelled.self,
        DeliveryCancellationRefused.self, DeliveryPickupOverdue.self,
    ]

    private static let byType: [EventType: any DomainEvent.Type] = Dictionary(
        uniqueKeysWithValues: payloadTypes.map { ($0.eventType, $0) })

    /// The payload type of an event type, or `nil` for a type the contracts do not know.
    public static func payloadType(for type: EventType) -> (any DomainEvent.Type)? { byType[type] }

    /// The services whose work queues are bound to each event type, besides history (bound to
    /// every event with ``EventExchange/everyEvent``). The one place that says who consumes what:
    /// `schemas/asyncapi.yaml`, the services' handler registrations, the topology every service
    /// declares and saga-inspect's expectations are all tested against or built from it.
    public static let consumers: [EventType: [Producer]] = [
        .deliveryRequested: [.account, .package, .delivery],
        .deliveryCancellationRequested: [.drone, .delivery],
        .accountValidated: [.delivery],
        .accountRejected: [.package, .drone, .delivery],
        .packageCreated: [.drone],
        .packageRejected: [.account, .delivery],
        .packageCancelled: [],
        .droneAllocated: [.delivery],
        .droneAllocationFailed: [.account, .package, .delivery],
        .droneReleased: [.delivery],
        .dronePickedUp: [.delivery],
        .droneDelivered: [.delivery],
        .deliveryScheduled: [.drone],
        .deliverySchedulingFailed: [.account, .package, .drone],
        .deliveryCompleted: [.package, .drone],
        .deliveryCancelled: [.account, .package, .drone],
        .deliveryCancellationRefused: [],
        .deliveryPickupOverdue: [.drone],
    ]

    /// The services bound to `type` besides history (none for a type the contracts do not know).
    public static func consumers(of type: EventType) -> [Producer] { consumers[type] ?? [] }

    /// The event types `service` produces (the routing keys it may publish).
    public static func producedTypes(by service: Producer) -> [EventType] {
        payloadTypes.filter { $0.producer == service }.map { $0.eventType }.sorted()
    }

    /// The event types `service` consumes by name (history takes every event by pattern instead).
    public static func consumedTypes(by service: Producer) -> [EventType] {
        EventType.all.filter { consumers(of: $0).contains(service) }
    }
}
