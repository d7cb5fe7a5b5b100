import Contracts
import Foundation
import SagaInspect

/// Builds a delivery's snapshot by hand, one event at a time, with times in seconds from the
/// saga's start and every event handled by its contract consumers (and history) shortly after.
struct SagaFixture {
    let deliveryId = UUID()
    let start = Date(timeIntervalSince1970: 1_780_000_000)
    let packageId = UUID()
    var snapshot: SagaSnapshot
    private(set) var ids: [String: UUID] = [:]

    init() {
        snapshot = SagaSnapshot(deliveryId: deliveryId)
    }

    /// A time `seconds` after the start.
    func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    /// Logs an event of `type` at `seconds`, caused by the latest event of type `cause`, handled by
    /// `handledBy` (default: its consumers and history, 10 ms later).
    @discardableResult
    mutating func log(
        _ type: String, at seconds: Double, causedBy cause: String? = nil, data: JSONValue = [:], handledBy: [String]? = nil
    ) -> UUID {
        let id = UUID()
        snapshot.events.append(SagaEvent(
            eventId: id, type: type, occurredAt: at(seconds), recordedAt: at(seconds + 0.005),
            causationId: cause.flatMap { ids[$0] }, data: data))
        for (index, service) in (handledBy ?? SagaContract.consumers(of: type) + ["history"]).enumerated() {
            snapshot.handled.append(HandledEvent(service: service, eventId: id, eventType: type, handledAt: at(seconds + 0.010 + Double(index) * 0.001)))
        }
        ids[type] = id
        return id
    }

    /// The id of the latest logged event of a type.
    func id(_ type: String) -> UUID { ids[type]! }

    /// A reason payload.
    static func reason(_ code: String, _ message: String = "because", extra: [String: JSONValue] = [:]) -> JSONValue {
        var members = extra
        members["reason"] = ["code": .string(code), "message": .string(message)]
        return .object(members)
    }

    /// delivery.requested, then the two branches up to drone.allocated (package created, drone-007 allocated).
    mutating func upToAllocation(accountValidated: Bool = true) {
        log("delivery.requested", at: 0)
        if accountValidated {
            log("account.validated", at: 0.010, causedBy: "delivery.requested", data: ["ownerId": "acct-active-001"])
        }
        log("package.created", at: 0.012, causedBy: "delivery.requested", data: ["packageId": .string(packageId.uuidString.lowercased())])
        log("drone.allocated", at: 0.030, causedBy: "package.created",
            data: ["droneId": "drone-007", "packageId": .string(packageId.uuidString.lowercased())])
        snapshot.state.package = PackageState(packageId: packageId, state: "active")
        snapshot.state.allocation = DroneAllocationState(droneId: "drone-007", state: "allocated")
        snapshot.state.heldDrones = [HeldDroneState(droneId: "drone-007", state: "allocated")]
    }

    /// The whole happy path, ending with the drone back in the pool and the package delivered.
    static func completed() -> SagaFixture {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduled", at: 0.040, causedBy: "drone.allocated", data: ["droneId": "drone-007"])
        saga.log("drone.picked-up", at: 0.050, causedBy: "delivery.scheduled", data: ["droneId": "drone-007"])
        saga.log("drone.delivered", at: 0.060, causedBy: "delivery.scheduled", data: ["droneId": "drone-007"])
        saga.log("delivery.completed", at: 0.070, causedBy: "drone.delivered", data: ["droneId": "drone-007"])
        saga.log("drone.released", at: 0.080, causedBy: "delivery.completed",
                 data: reason("DELIVERY_COMPLETED", extra: ["droneId": "drone-007"]))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "delivered")
        saga.snapshot.state.allocation = DroneAllocationState(droneId: "drone-007", state: "released", releaseReason: "DELIVERY_COMPLETED")
        saga.snapshot.state.heldDrones = []
        saga.snapshot.state.delivery = DeliveryServiceState(state: "completed", accountState: "validated", droneId: "drone-007")
        return saga
    }

    /// The drone service's rows once it released drone-007 for `reason`.
    mutating func droneReleasedInState(_ reason: String) {
        snapshot.state.allocation = DroneAllocationState(droneId: "drone-007", state: "released", releaseReason: reason)
        snapshot.state.heldDrones = []
    }
}
