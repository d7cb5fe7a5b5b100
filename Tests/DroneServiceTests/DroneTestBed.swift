import AMQP
import Choreography
import Contracts
import DroneService
import Foundation
import Postgres
import ServiceTestSupport

/// A drone service on the real servers with a small fleet, plus the events a test sends it and
/// what it emitted.
struct DroneTestBed {
    let harness: ServiceHarness
    let settings: DroneSettings
    /// Event ids already returned by `emitted`, so a later copy of one is not counted again.
    let seen = SeenEvents()

    /// A bed with `fleet` (the `DRONE_FLEET` format) and `timeScale` (0: flights are instant);
    /// `retryAttempts` 1 parks any event whose handler fails even once.
    init(
        fleet: String = "3x5kg/30km/60kmh", timeScale: Double = 0, retryAttempts: Int = 3,
        configure: (inout ChoreographyConfiguration) -> Void = { _ in }
    ) throws {
        let settings = DroneSettings(fleet: try FleetSpecification(parsing: fleet), timeScale: timeScale)
        self.settings = settings
        harness = try ServiceHarness(
            retryAttempts: retryAttempts, { name, schema in try DroneService.definition(name: name, schema: schema, settings: settings) }, configure: configure)
    }

    /// The drones' home bases as seeded.
    var homes: [String: GeoLocation] {
        Dictionary(uniqueKeysWithValues: settings.fleet.drones(around: settings.home).map { ($0.droneId, $0.home) })
    }

    /// A `package.created` for a `weightKg` package from `pickup` to `dropoff`.
    static func package(
        weightKg: Double = 2, pickup: GeoLocation = DroneSettings.defaultHome, dropoff: GeoLocation? = nil,
        pickupTime: Date = Date(), deadline: Date = Date().addingTimeInterval(6 * 3600)
    ) -> PackageCreated {
        PackageCreated(
            packageId: UUID(), packageInfo: PackageInfo(size: .medium, weightKg: weightKg, tag: "drone-test"),
            pickupLocation: pickup,
            dropoffLocation: dropoff ?? GreatCircle.destination(from: pickup, distanceKm: 2, bearingDegrees: 45),
            pickupTime: pickupTime, deadline: deadline, expedited: false)
    }

    /// The message for `event`, to publish several at once.
    func message<Event: DomainEvent>(_ event: Event, deliveryId: UUID, id: UUID = UUID()) throws -> AMQPOutgoingMessage {
        try EventMessage.make(event, id: id, deliveryId: deliveryId, exchange: harness.exchange)
    }

    /// `count` default `package.created` messages, each for a delivery of its own (all picked up
    /// at the same point, so they contend for the same nearest drones), with their deliveries and event ids.
    func packageBacklog(_ count: Int) throws -> (deliveries: [UUID], ids: [UUID], messages: [AMQPOutgoingMessage]) {
        let deliveries = (0..<count).map { _ in UUID() }
        let ids = deliveries.map { _ in UUID() }
        let messages = try zip(deliveries, ids).map { delivery, id in try message(Self.package(), deliveryId: delivery, id: id) }
        return (deliveries, ids, messages)
    }

    /// Waits until the service committed every event id and published everything it emitted;
    /// fails at once when the service parked anything.
    func awaitHandled(_ ids: [UUID], timeout: Duration = .seconds(30)) async throws {
        try await waitUntil("\(ids.count) events handled and their outbox published", timeout: timeout) {
            let parked = try await harness.parkedCount()
            guard parked == 0 else { throw HarnessError("\(parked) events were parked instead of handled") }
            let handled = try await harness.count("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", [.uuidArray(ids)])
            let unpublished = try await harness.count("SELECT count(*) FROM outbox")
            return handled == ids.count && unpublished == 0
        }
    }

    /// Publishes one event and waits until it was handled.
    func send<Event: DomainEvent>(_ event: Event, deliveryId: UUID, id: UUID = UUID()) async throws {
        try await harness.publish(event, deliveryId: deliveryId, id: id)
        try await awaitHandled([id])
    }

    /// What the service newly emitted to `capture`: reads until `count` events not seen before
    /// arrived (or `timeout` passed), dropping further copies of an event id already returned —
    /// publication is at least once (the outbox relay may publish a row the fast path is
    /// publishing too), and consumers' inboxes absorb such copies.
    func emitted(_ capture: String, expecting count: Int, timeout: Duration = .seconds(30)) async throws -> [AnyEventEnvelope] {
        var events: [AnyEventEnvelope] = []
        let deadline = ContinuousClock.now + timeout
        repeat {
            let remaining = deadline - ContinuousClock.now
            let received = try await harness.drain(capture, expecting: count - events.count, timeout: max(remaining, .milliseconds(1)))
            events += await seen.firstCopies(of: received)
        } while events.count < count && ContinuousClock.now < deadline
        return events
    }

    /// Each drone's state.
    func droneStates() async throws -> [String: String] {
        let rows = try await harness.query("SELECT drone_id, state FROM drones")
        return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(String.self, column: "drone_id"), try $0.decode(String.self, column: "state")) })
    }

    /// The delivery's allocation row as (state, drone id, release reason, failure code), if any.
    func allocation(_ deliveryId: UUID) async throws -> (state: String, droneId: String?, releaseReason: String?, failureCode: String?)? {
        let rows = try await harness.query(
            "SELECT state, drone_id, release_reason, failure_code FROM allocations WHERE delivery_id = $1", [.uuid(deliveryId)])
        guard let row = rows.first else { return nil }
        return (
            try row.decode(String.self, column: "state"), try row.decode(String?.self, column: "drone_id"),
            try row.decode(String?.self, column: "release_reason"), try row.decode(String?.self, column: "failure_code")
        )
    }
}

/// The event ids a test has already received.
actor SeenEvents {
    private var ids: Set<UUID> = []

    /// The envelopes whose ids were not seen before (the first copy of each), in order.
    func firstCopies(of envelopes: [AnyEventEnvelope]) -> [AnyEventEnvelope] {
        envelopes.filter { ids.insert($0.id).inserted }
    }
}

extension Array where Element == AnyEventEnvelope {
    /// The envelopes of one event type.
    func ofType(_ type: EventType) -> [AnyEventEnvelope] { filter { $0.type == type } }

    /// The payloads of one event type.
    func payloads<Event: DomainEvent>(_ type: Event.Type) throws -> [Event] {
        try ofType(Event.eventType).map { try $0.payload(as: Event.self) }
    }
}
