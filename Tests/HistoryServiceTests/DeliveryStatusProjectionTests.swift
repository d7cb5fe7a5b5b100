import Contracts
import Foundation
import HistoryService
import Testing

/// The status projection, a pure function of a delivery's events: every path of the saga, and
/// the same result whatever order the events come in.
@Suite("Delivery status projection")
struct DeliveryStatusProjectionTests {
    private func status(_ script: SagaScript) throws -> DeliveryStatus {
        try #require(DeliveryStatusProjection.project(script.events))
    }

    @Test("no events, no status")
    func noEvents() {
        #expect(DeliveryStatusProjection.project([]) == nil)
    }

    @Test("a new request is Created and in flight")
    func requested() throws {
        var script = SagaScript()
        try script.add(SagaScript.requested)
        let status = try status(script)
        #expect(status == DeliveryStatus(
            deliveryId: script.deliveryId, stage: .created, sagaState: .inFlight, ownerId: "acct-active-001",
            lastEventType: "delivery.requested", updatedAt: script.start))
    }

    @Test("the happy path: HeadedToPickup, HeadedToDropoff, Completed")
    func happyPath() throws {
        let scheduled = try status(SagaScript.scheduledSaga())
        #expect(scheduled.stage == .headedToPickup)
        #expect(scheduled.sagaState == .inFlight)
        #expect(scheduled.ownerId == "acct-active-001")
        #expect(scheduled.droneId == "drone-007")
        #expect(scheduled.packageId == SagaScript.packageId)
        #expect(scheduled.pickupEta == SagaScript.pickupEta)
        #expect(scheduled.dropoffEta == SagaScript.dropoffEta)
        #expect(scheduled.reason == nil)
        #expect(scheduled.lastEventType == "delivery.scheduled")

        var flying = try SagaScript.scheduledSaga()
        try flying.add(SagaScript.pickedUp)
        let pickedUp = try status(flying)
        #expect(pickedUp.stage == .headedToDropoff)
        #expect(pickedUp.sagaState == .inFlight)
        #expect(pickedUp.dropoffEta == SagaScript.pickedUp.dropoffEta)
        try flying.add(SagaScript.delivered)
        #expect(try status(flying).stage == .headedToDropoff)

        let happy = try SagaScript.happySaga()
        let completed = try status(happy)
        #expect(completed.stage == .completed)
        #expect(completed.sagaState == .completed)
        #expect(completed.reason == nil)
        #expect(completed.lastEventType == "drone.released")
        #expect(completed.updatedAt == happy.events.last?.occurredAt)
    }

    @Test("an account rejection is Rejected, then Compensated once the package is cancelled")
    func accountRejected() throws {
        var script = SagaScript()
        try script.add(SagaScript.requested)
        try script.add(SagaScript.packageCreated)
        try script.add(AccountRejected.sample())
        let rejected = try status(script)
        #expect(rejected.stage == .rejected)
        #expect(rejected.sagaState == .rejected)
        #expect(rejected.reason == StatusReason(AccountRejected.sample().reason))
        #expect(rejected.ownerId == "acct-suspended-002")

        let compensated = try status(SagaScript.rejectedSaga())
        #expect(compensated.stage == .compensated)
        #expect(compensated.sagaState == .compensated)
        #expect(compensated.reason?.code == "ACCOUNT_SUSPENDED")
        #expect(compensated.lastEventType == "package.cancelled")
    }

    @Test("a package rejection is Rejected, and later events do not bring it back")
    func packageRejected() throws {
        var script = SagaScript()
        try script.add(SagaScript.requested)
        try script.add(PackageRejected.sample())
        try script.add(SagaScript.validated)
        let status = try status(script)
        #expect(status.stage == .rejected)
        #expect(status.sagaState == .rejected)
        #expect(status.reason?.code == "OVERWEIGHT")
        #expect(status.lastEventType == "account.validated")
    }

    @Test("a failed drone allocation or scheduling is Compensated with its reason")
    func failures() throws {
        var noDrone = SagaScript()
        try noDrone.add(SagaScript.requested)
        try noDrone.add(SagaScript.packageCreated)
        try noDrone.add(DroneAllocationFailed.sample())
        let allocation = try status(noDrone)
        #expect(allocation.stage == .compensated)
        #expect(allocation.sagaState == .compensated)
        #expect(allocation.reason?.code == "NO_DRONE_IN_RANGE")

        var noFly = SagaScript()
        try noFly.add(SagaScript.requested)
        try noFly.add(SagaScript.validated)
        try noFly.add(SagaScript.packageCreated)
        try noFly.add(SagaScript.allocated)
        try noFly.add(DeliverySchedulingFailed.sample())
        try noFly.add(DroneReleased(droneId: "drone-007", reason: Reason(.schedulingFailed, "Scheduling failed.")))
        try noFly.add(PackageCancelled(packageId: SagaScript.packageId, reason: Reason(.schedulingFailed, "Scheduling failed.")))
        let scheduling = try status(noFly)
        #expect(scheduling.stage == .compensated)
        #expect(scheduling.sagaState == .compensated)
        #expect(scheduling.reason?.code == "NO_FLY_ZONE")
        #expect(scheduling.droneId == "drone-007")
        #expect(scheduling.lastEventType == "package.cancelled")
    }

    @Test("a cancellation is Cancelled; a late flight event does not bring it back")
    func cancelled() throws {
        var script = try SagaScript.scheduledSaga()
        try script.add(DeliveryCancellationRequested.sample())
        try script.add(DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer."), droneId: "drone-007"))
        try script.add(SagaScript.pickedUp)
        let status = try status(script)
        #expect(status.stage == .cancelled)
        #expect(status.sagaState == .compensated)
        #expect(status.reason == StatusReason(code: "CUSTOMER_REQUEST", message: "Cancelled by the customer."))
        #expect(status.lastEventType == "drone.picked-up")
    }

    @Test("a refused cancellation keeps the stage and shows the refusal while in flight")
    func refusedCancellation() throws {
        var script = try SagaScript.scheduledSaga()
        try script.add(SagaScript.pickedUp)
        try script.add(DeliveryCancellationRequested.sample())
        try script.add(DeliveryCancellationRefused.sample())
        let refused = try status(script)
        #expect(refused.stage == .headedToDropoff)
        #expect(refused.sagaState == .inFlight)
        #expect(refused.reason?.code == "ALREADY_PICKED_UP")
        try script.add(SagaScript.delivered)
        try script.add(SagaScript.completed)
        let completed = try status(script)
        #expect(completed.stage == .completed)
        #expect(completed.reason == nil)
    }

    @Test("a cancellation that overtook its request still ends Cancelled")
    func cancellationBeforeRequest() throws {
        var script = SagaScript()
        try script.add(DeliveryCancellationRequested.sample())
        try script.add(DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer.")))
        try script.add(SagaScript.requested)
        try script.add(SagaScript.validated)
        let status = try status(script)
        #expect(status.stage == .cancelled)
        #expect(status.ownerId == "acct-active-001")
    }

    @Test("the outcome is the delivery service's decision, not the earliest clock: a cancellation it decided beats an earlier-stamped rejection")
    func ownerDecidesTheOutcome() throws {
        var script = SagaScript()
        try script.add(SagaScript.requested)
        try script.add(AccountRejected.sample())
        try script.add(DeliveryCancellationRequested.sample())
        try script.add(DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer.")))
        let status = try status(script)
        #expect(status.stage == .cancelled)
        #expect(status.reason?.code == "CUSTOMER_REQUEST")
    }

    @Test("every order of the same events gives the same status", arguments: [
        "happy", "scheduled", "rejected", "refused", "failed",
    ])
    func orderIndependent(path: String) throws {
        var script: SagaScript
        switch path {
        case "happy": script = try SagaScript.happySaga()
        case "scheduled": script = try SagaScript.scheduledSaga()
        case "rejected": script = try SagaScript.rejectedSaga()
        case "refused":
            script = try SagaScript.scheduledSaga()
            try script.add(SagaScript.pickedUp)
            try script.add(DeliveryCancellationRefused.sample())
        default:
            script = SagaScript()
            try script.add(SagaScript.requested)
            try script.add(SagaScript.packageCreated)
            try script.add(SagaScript.allocated)
            try script.add(AccountRejected.sample())
            try script.add(DroneAllocationFailed.sample())
            try script.add(DroneReleased(droneId: "drone-007", reason: Reason(.accountRejected, "Rejected.")))
        }
        let expected = try status(script)
        var generator = SeededGenerator(seed: UInt64(path.utf8.count) * 7919)
        for _ in 0..<50 {
            let shuffled = script.events.shuffled(using: &generator)
            #expect(DeliveryStatusProjection.project(shuffled) == expected)
        }
        #expect(DeliveryStatusProjection.project(script.events.reversed()) == expected)
    }

    @Test("the stage and saga-state names are those of the contracts")
    func namesMatchTheContracts() throws {
        let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas")
        let common = try JSONValue(parsing: try Data(contentsOf: schemas.appendingPathComponent("common.v1.json")))
        let stages = try #require(common["$defs"]?["deliveryStage"]?["enum"]?.arrayValue).compactMap(\.stringValue)
        #expect(stages == DeliveryStage.allCases.map(\.rawValue))
        let openapi = try String(contentsOf: schemas.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let sagaStates = SagaState.allCases.map(\.rawValue).joined(separator: ", ")
        #expect(openapi.contains("enum: [\(sagaStates)]"))
    }

    @Test("the status encodes as the API's DeliveryStatus: lower-case ids, millisecond UTC times, no absent fields")
    func statusJSON() throws {
        let status = DeliveryStatus(
            deliveryId: UUID(uuidString: "3F2B8C1E-5D4A-4E7B-9C61-0A8F2D7E4B13")!, stage: .compensated, sagaState: .compensated,
            ownerId: "acct-suspended-002", packageId: SagaScript.packageId,
            reason: StatusReason(code: "ACCOUNT_SUSPENDED", message: "Suspended."), lastEventType: "package.cancelled",
            updatedAt: Date(timeIntervalSince1970: 1_777_626_000.91))
        let json = try JSONValue(parsing: try EventCoding.makeEncoder().encode(status))
        #expect(json == [
            "deliveryId": "3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b13", "stage": "Compensated", "sagaState": "compensated",
            "ownerId": "acct-suspended-002", "packageId": "9a1c3e5f-7b2d-4f60-8a4c-2e6b8d0f1a3c",
            "reason": ["code": "ACCOUNT_SUSPENDED", "message": "Suspended."], "lastEventType": "package.cancelled",
            "updatedAt": "2026-05-01T09:00:00.910Z",
        ])
        let decoded = try EventCoding.makeDecoder().decode(DeliveryStatus.self, from: try EventCoding.makeEncoder().encode(status))
        #expect(decoded == status)
    }

    @Test("a timeline entry encodes every field, causationId as null when absent")
    func timelineJSON() throws {
        let entry = TimelineEntry(
            eventId: UUID(uuidString: "0D4C6A8E-2B1F-4E3D-9A5C-7F6E8D0B1A2C")!, type: "delivery.requested", version: 1,
            producer: "ingestion", occurredAt: Date(timeIntervalSince1970: 1_777_626_000),
            recordedAt: Date(timeIntervalSince1970: 1_777_626_000.031), causationId: nil, data: ["ownerId": "acct-active-001"])
        let timeline = DeliveryTimeline(deliveryId: UUID(uuidString: "3F2B8C1E-5D4A-4E7B-9C61-0A8F2D7E4B13")!, events: [entry])
        let json = try JSONValue(parsing: try EventCoding.makeEncoder().encode(timeline))
        #expect(json == [
            "deliveryId": "3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b13",
            "events": [[
                "eventId": "0d4c6a8e-2b1f-4e3d-9a5c-7f6e8d0b1a2c", "type": "delivery.requested", "version": 1,
                "producer": "ingestion", "occurredAt": "2026-05-01T09:00:00.000Z", "recordedAt": "2026-05-01T09:00:00.031Z",
                "causationId": nil, "data": ["ownerId": "acct-active-001"],
            ]],
        ])
    }
}
