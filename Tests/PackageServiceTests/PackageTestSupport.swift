import Choreography
import Contracts
import Foundation
import PackageService
import Postgres
import ServiceTestSupport

/// A harness running the package service in a schema of its own.
func packageHarness(configure: (inout ChoreographyConfiguration) -> Void = { _ in }) throws -> ServiceHarness {
    try ServiceHarness({ name, schema in try PackageService.definition(name: name, schema: schema) }, configure: configure)
}

/// The routing keys the package service emits.
let packageEventKeys = ["package.created", "package.rejected", "package.cancelled"]

/// A delivery request for a package of `size` weighing `weightKg` (the sample's route and times).
func deliveryRequest(_ size: PackageSize = .medium, _ weightKg: Double = 3.75, tag: String = "parcel") -> DeliveryRequested {
    var request = DeliveryRequested.sample()
    request.ownerId = "acct-active-001"
    request.packageInfo = PackageInfo(size: size, weightKg: weightKg, tag: tag)
    request.expedited = true
    return request
}

/// The four failures the package service compensates, as their producers would send them.
enum Compensation: CaseIterable {
    case accountRejected, droneAllocationFailed, schedulingFailed, deliveryCancelled

    /// The `package.cancelled` code it must lead to.
    var code: PackageCancelled.Code {
        switch self {
        case .accountRejected: .accountRejected
        case .droneAllocationFailed: .droneAllocationFailed
        case .schedulingFailed: .schedulingFailed
        case .deliveryCancelled: .deliveryCancelled
        }
    }

    /// Publishes the failure for `deliveryId` (whose package, if any, is `packageId`).
    @discardableResult
    func publish(on harness: ServiceHarness, deliveryId: UUID, packageId: UUID = UUID(), id: UUID = UUID()) async throws -> UUID {
        switch self {
        case .accountRejected:
            try await harness.publish(
                AccountRejected(ownerId: "acct-suspended-002", reason: Reason(.accountSuspended, "Account acct-suspended-002 is suspended.")),
                deliveryId: deliveryId, id: id)
        case .droneAllocationFailed:
            try await harness.publish(
                DroneAllocationFailed(packageId: packageId, reason: Reason(.noDroneInRange, "No drone has a 400 km range.")),
                deliveryId: deliveryId, id: id)
        case .schedulingFailed:
            try await harness.publish(
                DeliverySchedulingFailed(reason: Reason(.noFlyZone, "Drop-off is inside no-fly zone 'sea-tac-airport'."), packageId: packageId),
                deliveryId: deliveryId, id: id)
        case .deliveryCancelled:
            try await harness.publish(
                DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer."), packageId: packageId),
                deliveryId: deliveryId, id: id)
        }
    }
}

extension ServiceHarness {
    /// Waits until the event `id` was handled (it is in the inbox).
    func waitForHandled(_ id: UUID, _ what: String = "the event handled") async throws {
        try await waitUntil(what) { try await count("SELECT count(*) FROM inbox WHERE event_id = $1", [.uuid(id)]) == 1 }
    }

    /// Waits until everything committed was published (the outbox is empty), so the capture
    /// queue holds every event emitted so far.
    func waitForOutboxEmpty() async throws {
        try await waitUntil("an empty outbox") { try await count("SELECT count(*) FROM outbox") == 0 }
    }

    /// The package id created for a delivery.
    func packageId(of deliveryId: UUID) async throws -> UUID {
        try await query("SELECT package_id FROM packages WHERE delivery_id = $1", [.uuid(deliveryId)])[0]
            .decode(UUID.self, column: "package_id")
    }

    /// A package's state.
    func packageState(of deliveryId: UUID) async throws -> String? {
        try await query("SELECT state FROM packages WHERE delivery_id = $1", [.uuid(deliveryId)]).first?
            .decode(String.self, column: "state")
    }

    /// The delivery's outcome row as `state/reason_code`.
    func outcome(of deliveryId: UUID) async throws -> String? {
        try await query("SELECT state, reason_code FROM delivery_outcomes WHERE delivery_id = $1", [.uuid(deliveryId)]).first
            .map { row in "\(try row.decode(String.self, column: "state"))/\(try row.decode(String?.self, column: "reason_code") ?? "-")" }
    }
}
