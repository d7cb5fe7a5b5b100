import Contracts
import Foundation

/// The events of one delivery's saga, as their producers would publish them, 100 ms apart, each
/// caused by the one before (the first by nothing).
struct SagaScript {
    let deliveryId: UUID
    let start: Date
    private(set) var events: [AnyEventEnvelope] = []

    init(deliveryId: UUID = UUID(), start: Date = Date(timeIntervalSince1970: 1_780_000_000)) {
        self.deliveryId = deliveryId
        self.start = start
    }

    /// Appends `event`, 100 ms after the previous one.
    mutating func add<Event: DomainEvent>(_ event: Event) throws {
        let envelope = EventEnvelope(
            occurredAt: Date(timeIntervalSince1970: (start.timeIntervalSince1970 * 1_000 + Double(events.count * 100)) / 1_000),
            deliveryId: deliveryId,
            causationId: events.last?.id, data: event)
        events.append(try AnyEventEnvelope(envelope))
    }

    /// The same script with each event replaced by `transform`'s result.
    func reassigned(_ transform: (AnyEventEnvelope) -> AnyEventEnvelope) -> SagaScript {
        var copy = self
        copy.events = events.map(transform)
        return copy
    }

    /// The same script for another delivery (same payloads and times, new ids).
    func copy(for deliveryId: UUID) -> SagaScript {
        var copy = SagaScript(deliveryId: deliveryId, start: start)
        var ids: [UUID: UUID] = [:]
        for event in events {
            let id = UUID()
            ids[event.id] = id
            copy.events.append(AnyEventEnvelope(
                id: id, type: event.type, version: event.version, occurredAt: event.occurredAt, deliveryId: deliveryId,
                causationId: event.causationId.flatMap { ids[$0] }, producer: event.producer, data: event.data))
        }
        return copy
    }

    static let packageId = UUID(uuidString: "9a1c3e5f-7b2d-4f60-8a4c-2e6b8d0f1a3c")!
    static let pickupEta = Date(timeIntervalSince1970: 1_780_000_600)
    static let dropoffEta = Date(timeIntervalSince1970: 1_780_001_500)

    static let requested = DeliveryRequested.sample()
    static let validated = AccountValidated(ownerId: "acct-active-001", dailyLimit: 1_000, deliveriesToday: 1)
    static let packageCreated = PackageCreated(
        packageId: packageId, packageInfo: requested.packageInfo, pickupLocation: requested.pickupLocation,
        dropoffLocation: requested.dropoffLocation, pickupTime: requested.pickupTime, deadline: requested.deadline,
        expedited: false)
    static let allocated = DroneAllocated(
        droneId: "drone-007", packageId: packageId, pickupEta: pickupEta, dropoffEta: dropoffEta,
        dropoffLocation: requested.dropoffLocation, deadline: requested.deadline)
    static let scheduled = DeliveryScheduled(
        ownerId: "acct-active-001", droneId: "drone-007", packageId: packageId, pickupEta: pickupEta, dropoffEta: dropoffEta)
    static let pickedUp = DronePickedUp(droneId: "drone-007", packageId: packageId, dropoffEta: dropoffEta.addingTimeInterval(60))
    static let delivered = DroneDelivered(droneId: "drone-007", packageId: packageId, dropoffLocation: requested.dropoffLocation)
    static let completed = DeliveryCompleted(droneId: "drone-007", packageId: packageId)
    static let releasedAfterCompletion = DroneReleased(droneId: "drone-007", reason: Reason(.deliveryCompleted, "Delivered."))

    /// Requested, validated, package created, drone allocated, scheduled (in flight, headed to pickup).
    static func scheduledSaga(_ deliveryId: UUID = UUID()) throws -> SagaScript {
        var script = SagaScript(deliveryId: deliveryId)
        try script.add(requested)
        try script.add(validated)
        try script.add(packageCreated)
        try script.add(allocated)
        try script.add(scheduled)
        return script
    }

    /// The whole happy path, ending with the drone back in the pool.
    static func happySaga(_ deliveryId: UUID = UUID()) throws -> SagaScript {
        var script = try scheduledSaga(deliveryId)
        try script.add(pickedUp)
        try script.add(delivered)
        try script.add(completed)
        try script.add(releasedAfterCompletion)
        return script
    }

    /// A suspended account after the package was created: rejection, then the package's compensation.
    static func rejectedSaga(_ deliveryId: UUID = UUID()) throws -> SagaScript {
        var script = SagaScript(deliveryId: deliveryId)
        try script.add(requested)
        try script.add(packageCreated)
        try script.add(AccountRejected.sample())
        try script.add(PackageCancelled(packageId: packageId, reason: Reason(.accountRejected, "The account was rejected.")))
        return script
    }
}

/// A small deterministic random number generator (SplitMix64), so shuffles can be reproduced.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
