import Contracts
import Foundation

/// The events history logs for each path of the saga (and for the out-of-the-ordinary orders
/// the status tests pin down), as scripts of one delivery each.
enum SagaEventSets {
    /// Every set, named: the valid ones and one whose payloads do not decode.
    static func all() throws -> [(name: String, script: SagaScript)] {
        try valid() + [("flight events whose payloads do not decode", try undecodableFlight())]
    }

    /// The sets whose events all validate against the contracts (as a service would receive them).
    static func valid() throws -> [(name: String, script: SagaScript)] {
        [
            ("requested", try script(SagaScript.requested)),
            ("scheduled", try SagaScript.scheduledSaga()),
            ("completed", try SagaScript.happySaga()),
            ("completed after a refused cancellation", try completedAfterRefusal()),
            ("account suspended, package compensated", try SagaScript.rejectedSaga()),
            ("account suspended after allocation", try script(
                SagaScript.requested, SagaScript.packageCreated, SagaScript.allocated, AccountRejected.sample(),
                PackageCancelled(packageId: SagaScript.packageId, reason: Reason(.accountRejected, "The account was rejected.")),
                DroneReleased(droneId: "drone-007", reason: Reason(.accountRejected, "The account was rejected.")))),
            ("package rejected", try script(SagaScript.requested, SagaScript.validated, PackageRejected.sample())),
            ("no drone in range", try script(
                SagaScript.requested, SagaScript.validated, SagaScript.packageCreated, DroneAllocationFailed.sample(),
                PackageCancelled(packageId: SagaScript.packageId, reason: Reason(.droneAllocationFailed, "No drone.")))),
            ("no-fly zone", try script(
                SagaScript.requested, SagaScript.validated, SagaScript.packageCreated, SagaScript.allocated,
                DeliverySchedulingFailed.sample(), DroneReleased(droneId: "drone-007", reason: Reason(.schedulingFailed, "Scheduling failed.")),
                PackageCancelled(packageId: SagaScript.packageId, reason: Reason(.schedulingFailed, "Scheduling failed.")))),
            ("cancelled before pickup", try cancelledBeforePickup()),
            ("cancellation overtook its request", try script(
                DeliveryCancellationRequested.sample(), DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer.")),
                SagaScript.requested, SagaScript.validated)),
            ("cancellation decided after a rejection", try script(
                SagaScript.requested, AccountRejected.sample(), DeliveryCancellationRequested.sample(),
                DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer.")))),
            ("two branch failures", try script(
                SagaScript.requested, SagaScript.packageCreated, SagaScript.allocated, AccountRejected.sample(),
                DroneAllocationFailed.sample(), DroneReleased(droneId: "drone-007", reason: Reason(.accountRejected, "Rejected.")))),
        ]
    }

    /// A script of these events, 100 ms apart.
    private static func script(_ events: any DomainEvent...) throws -> SagaScript {
        var script = SagaScript()
        for event in events { try script.add(event) }
        return script
    }

    /// Picked up, a cancellation asked and refused, delivered, completed, the drone released.
    private static func completedAfterRefusal() throws -> SagaScript {
        var script = try SagaScript.scheduledSaga()
        try script.add(SagaScript.pickedUp)
        try script.add(DeliveryCancellationRequested.sample())
        try script.add(DeliveryCancellationRefused.sample())
        try script.add(SagaScript.delivered)
        try script.add(SagaScript.completed)
        try script.add(SagaScript.releasedAfterCompletion)
        return script
    }

    /// Scheduled, then cancelled by the customer: the drone released and the package cancelled.
    private static func cancelledBeforePickup() throws -> SagaScript {
        var script = try SagaScript.scheduledSaga()
        try script.add(DeliveryCancellationRequested.sample())
        try script.add(DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer."), droneId: "drone-007"))
        try script.add(DroneReleased(droneId: "drone-007", reason: Reason(.deliveryCancelled, "Cancelled.")))
        try script.add(PackageCancelled(packageId: SagaScript.packageId, reason: Reason(.deliveryCancelled, "Cancelled.")))
        return script
    }

    /// A scheduled saga whose picked-up and delivered events carry payloads that do not decode:
    /// their types still move the stage on.
    private static func undecodableFlight() throws -> SagaScript {
        var script = try SagaScript.scheduledSaga()
        try script.add(SagaScript.pickedUp)
        try script.add(SagaScript.delivered)
        try script.add(DeliveryCancellationRefused.sample())
        return script.replacingPayloads(of: [.dronePickedUp, .droneDelivered, .deliveryCancellationRefused], with: ["unexpected": true])
    }
}

extension SagaScript {
    /// The same events with the payloads of the given types replaced by `data`.
    func replacingPayloads(of types: Set<EventType>, with data: JSONValue) -> SagaScript {
        reassigned { event in types.contains(event.type) ? event.with(data: data) : event }
    }

    /// The same events, each moved to the time `time` gives for its index (any order, ties included).
    func retimed(_ time: (Int) -> Date) -> SagaScript {
        var index = 0
        return reassigned { event in
            defer { index += 1 }
            return event.with(occurredAt: time(index))
        }
    }
}

extension AnyEventEnvelope {
    /// This event with another payload.
    func with(data: JSONValue) -> AnyEventEnvelope {
        AnyEventEnvelope(
            id: id, type: type, version: version, occurredAt: occurredAt, deliveryId: deliveryId, causationId: causationId,
            producer: producer, data: data)
    }

    /// This event at another time.
    func with(occurredAt: Date) -> AnyEventEnvelope {
        AnyEventEnvelope(
            id: id, type: type, version: version, occurredAt: occurredAt, deliveryId: deliveryId, causationId: causationId,
            producer: producer, data: data)
    }
}
