import Contracts
import Foundation
import SagaInspect
import Testing

@Suite("SagaAnalysis: the causation tree")
struct SagaTreeTests {
    @Test("events link to their causes, children in time order, handlers earliest first")
    func causationTree() {
        let saga = SagaFixture.completed()
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))

        #expect(report.events.count == 9)
        let root = report.events[0]
        #expect(root.type == "delivery.requested")
        #expect(root.depth == 0)
        #expect(!root.causeKnown)
        #expect(root.children == [saga.id("account.validated"), saga.id("package.created")])
        #expect(root.handledBy.map(\.service) == ["account", "package", "delivery", "history"])

        let created = report.event(saga.id("package.created"))
        #expect(created?.depth == 1)
        #expect(created?.children == [saga.id("drone.allocated")])
        #expect(created?.handledBy.map(\.service) == ["drone", "history"])
        #expect(abs((created?.handledBy.first?.at ?? .distantPast).timeIntervalSince(saga.at(0.022))) < 0.000_001)

        // Depth-first order: a child comes right after its parent's earlier siblings' subtrees.
        let order = report.events.map(\.type)
        #expect(order.firstIndex(of: "drone.allocated")! == order.firstIndex(of: "package.created")! + 1)
        #expect(report.event(saga.id("drone.delivered"))?.depth == 4)
        #expect(report.event(saga.id("drone.released"))?.depth == 6)
        #expect(report.event(saga.id("drone.delivered"))?.causationId == saga.id("delivery.scheduled"))
        #expect(report.startedAt == saga.at(0))
    }

    @Test("an event whose cause is unknown is a root; roots are in time order")
    func unknownCauseIsRoot() {
        var saga = SagaFixture()
        saga.log("delivery.requested", at: 1)
        let orphan = UUID()
        saga.snapshot.events.append(SagaEvent(type: "account.validated", occurredAt: saga.at(0.5), causationId: orphan))
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(2))

        #expect(report.events.map(\.type) == ["account.validated", "delivery.requested"])
        #expect(report.events.allSatisfy { $0.depth == 0 })
        #expect(report.events[0].causationId == orphan)
        #expect(report.events[0].causeKnown == false)
    }

    @Test("compensations are marked; the drone's normal release is not one")
    func compensationsMarked() {
        let completed = SagaAnalysis.analyse(SagaFixture.completed().snapshot, now: Date())
        #expect(completed.events.filter(\.isCompensation).isEmpty)

        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("account.rejected", at: 0.05, causedBy: "delivery.requested", data: SagaFixture.reason("ACCOUNT_SUSPENDED"))
        saga.log("package.cancelled", at: 0.06, causedBy: "account.rejected", data: SagaFixture.reason("ACCOUNT_REJECTED"))
        saga.log("drone.released", at: 0.07, causedBy: "account.rejected", data: SagaFixture.reason("ACCOUNT_REJECTED", extra: ["droneId": "drone-007"]))
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        #expect(Set(report.events.filter(\.isCompensation).map(\.type)) == ["package.cancelled", "drone.released"])
    }

    @Test("an event handled by services but not logged by history is still traced and counted")
    func unloggedEventFromInboxes() {
        var saga = SagaFixture.completed()
        let release = saga.id("drone.released")
        saga.snapshot.events.removeAll { $0.eventId == release }
        saga.snapshot.handled.removeAll { $0.eventId == release }
        let lateCompletion = saga.id("delivery.completed")
        saga.snapshot.events.removeAll { $0.eventId == lateCompletion }  // history has not logged it; package and drone handled it
        saga.snapshot.handled.removeAll { $0.eventId == lateCompletion && $0.service == "history" }
        saga.log("drone.released", at: 0.080, data: SagaFixture.reason("DELIVERY_COMPLETED", extra: ["droneId": "drone-007"]))

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        let completion = report.event(lateCompletion)
        #expect(completion?.logged == false)
        #expect(completion?.type == "delivery.completed")
        #expect(completion?.handledBy.map(\.service) == ["package", "drone"])
        #expect(report.warnings.contains { $0.contains("delivery.completed") && $0.contains("not in the history log") })
        #expect(report.verdict == .completed)
    }
}

@Suite("SagaAnalysis: verdicts")
struct SagaVerdictTests {
    @Test("happy path: completed")
    func happyPath() {
        let saga = SagaFixture.completed()
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(3_600))
        #expect(report.verdict == .completed)
        #expect(report.verdict.isFinal)
        #expect(report.detail.contains("drone drone-007 released (DELIVERY_COMPLETED)"))
        #expect(report.detail.contains("delivered"))
    }

    @Test("completed but the drone's release is not logged yet: in flight on the drone")
    func completedAwaitingRelease() {
        var saga = SagaFixture.completed()
        let release = saga.id("drone.released")
        saga.snapshot.events.removeAll { $0.eventId == release }
        saga.snapshot.handled.removeAll { $0.eventId == release }
        saga.snapshot.state.allocation = DroneAllocationState(droneId: "drone-007", state: "delivered")
        saga.snapshot.state.heldDrones = [HeldDroneState(droneId: "drone-007", state: "flying")]
        saga.snapshot.handled.removeAll { $0.eventType == "delivery.completed" && $0.service == "drone" }

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(2))
        #expect(report.verdict == .inFlight(waitingOn: "drone", for: "drone.released"))

        let later = SagaAnalysis.analyse(saga.snapshot, now: saga.at(400))
        guard case .stuck(let reason) = later.verdict else {
            Issue.record("expected stuck, got \(later.verdict)")
            return
        }
        #expect(reason.contains("drone has not handled delivery.completed"))
    }

    @Test("account.rejected after drone.allocated, both compensations done: rejected")
    func rejectedAfterAllocationCompensated() {
        var saga = SagaFixture()
        saga.upToAllocation(accountValidated: false)
        saga.log("account.rejected", at: 0.05, causedBy: "delivery.requested", data: SagaFixture.reason("ACCOUNT_SUSPENDED", "The account is suspended."))
        saga.log("package.cancelled", at: 0.06, causedBy: "account.rejected",
                 data: SagaFixture.reason("ACCOUNT_REJECTED", extra: ["packageId": .string(saga.packageId.uuidString.lowercased())]))
        saga.log("drone.released", at: 0.07, causedBy: "account.rejected", data: SagaFixture.reason("ACCOUNT_REJECTED", extra: ["droneId": "drone-007"]))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "cancelled", cancelReason: "ACCOUNT_REJECTED")
        saga.droneReleasedInState("ACCOUNT_REJECTED")

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(3_600))
        #expect(report.verdict == .rejected)
        #expect(report.detail.contains("account.rejected (ACCOUNT_SUSPENDED: The account is suspended.)"))
        #expect(report.detail.contains("package.cancelled"))
        #expect(report.detail.contains("drone.released (drone drone-007)"))
    }

    @Test("account.rejected after drone.allocated without drone.released: in flight on the drone, then inconsistent naming the drone")
    func rejectedAfterAllocationWithoutRelease() {
        var saga = SagaFixture()
        saga.upToAllocation(accountValidated: false)
        saga.log("account.rejected", at: 0.05, causedBy: "delivery.requested", data: SagaFixture.reason("ACCOUNT_UNKNOWN"))
        saga.log("package.cancelled", at: 0.06, causedBy: "account.rejected", data: SagaFixture.reason("ACCOUNT_REJECTED"))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "cancelled", cancelReason: "ACCOUNT_REJECTED")

        // Moments later the drone service has not handled the rejection yet.
        saga.snapshot.handled.removeAll { $0.service == "drone" && $0.eventType == "account.rejected" }
        let soon = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        #expect(soon.verdict == .inFlight(waitingOn: "drone", for: "drone.released"))
        #expect(!soon.verdict.needsAttention)

        // Past the threshold, the drone handled it but its drone is still allocated.
        saga.snapshot.handled.append(HandledEvent(service: "drone", eventId: saga.id("account.rejected"), eventType: "account.rejected", handledAt: saga.at(0.055)))
        let late = SagaAnalysis.analyse(saga.snapshot, now: saga.at(301), stuckAfter: 300)
        guard case .inconsistent(let missing) = late.verdict else {
            Issue.record("expected inconsistent, got \(late.verdict)")
            return
        }
        #expect(missing.count == 1)
        #expect(missing[0].contains("drone.released for drone drone-007"))
        #expect(missing[0].contains("drone handled account.rejected"))
        #expect(missing[0].contains("drone drone-007 is still allocated to this rejected delivery"))
        #expect(late.verdict.needsAttention)
    }

    @Test("a compensation missing after the threshold is inconsistent and named")
    func missingPackageCancellation() {
        var saga = SagaFixture()
        saga.log("delivery.requested", at: 0)
        saga.log("account.validated", at: 0.01, causedBy: "delivery.requested")
        saga.log("package.created", at: 0.012, causedBy: "delivery.requested", data: ["packageId": .string(saga.packageId.uuidString.lowercased())])
        saga.log("drone.allocation-failed", at: 0.03, causedBy: "package.created", data: SagaFixture.reason("NO_DRONE_IN_RANGE"))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "active")
        saga.snapshot.state.allocation = DroneAllocationState(droneId: nil, state: "failed", failureCode: "NO_DRONE_IN_RANGE")
        saga.snapshot.handled.removeAll { $0.service == "package" && $0.eventType == "drone.allocation-failed" }

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(600))
        let package = saga.packageId.uuidString.lowercased()
        #expect(report.verdict == .inconsistent(missing: [
            "package.cancelled for package \(package) (package has not handled drone.allocation-failed; package \(package) is still active)",
        ]))
    }

    @Test("service state contradicting the log is inconsistent at once")
    func stateContradictsLog() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduling-failed", at: 0.04, causedBy: "drone.allocated", data: SagaFixture.reason("NO_FLY_ZONE", extra: ["droneId": "drone-007"]))
        saga.log("package.cancelled", at: 0.05, causedBy: "delivery.scheduling-failed", data: SagaFixture.reason("SCHEDULING_FAILED"))
        saga.log("drone.released", at: 0.05, causedBy: "delivery.scheduling-failed", data: SagaFixture.reason("SCHEDULING_FAILED", extra: ["droneId": "drone-007"]))
        // The package service says the package is still active, the drone still allocated.
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(0.1))
        guard case .inconsistent(let missing) = report.verdict else {
            Issue.record("expected inconsistent, got \(report.verdict)")
            return
        }
        let package = saga.packageId.uuidString.lowercased()
        #expect(missing.contains("package \(package) is still active although package.cancelled was logged"))
        #expect(missing.contains("drone drone-007 is still allocated to this failed delivery although drone.released was logged"))
    }

    @Test("a drone still held after a completed delivery logged its release is inconsistent")
    func completedDroneStillFlying() {
        var saga = SagaFixture.completed()
        saga.snapshot.state.heldDrones = [HeldDroneState(droneId: "drone-007", state: "flying")]
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        #expect(report.verdict.missing.contains("drone drone-007 is still flying for this completed delivery although drone.released was logged"))
        #expect(report.verdict.missing.contains("drone drone-007 is still flying for this delivery although its allocation is released"))
    }

    @Test("in flight waiting on the join")
    func waitingOnJoin() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.snapshot.deadlines = [SagaDeadline(service: "delivery", name: "join-timeout", fireAt: saga.at(30))]
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(5))
        #expect(report.verdict == .inFlight(waitingOn: "delivery", for: "delivery.scheduled"))
        #expect(report.detail.contains("join"))
        #expect(report.pendingDeadlines.map(\.name) == ["join-timeout"])
    }

    @Test("in flight waiting on the drone for the allocation, and on the account")
    func waitingOnBranches() {
        var saga = SagaFixture()
        saga.log("delivery.requested", at: 0)
        saga.log("package.created", at: 0.012, causedBy: "delivery.requested")
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        #expect(report.verdict == .inFlight(waitingOn: "account", for: "account.validated"))
        #expect(report.waits.map(\.service) == ["account", "drone"])
    }

    @Test("no progress for longer than the threshold: stuck")
    func stuckAfterThreshold() {
        var saga = SagaFixture()
        saga.upToAllocation()
        let justBefore = SagaAnalysis.analyse(saga.snapshot, now: saga.at(0.04 + 299), stuckAfter: 300)
        #expect(justBefore.verdict == .inFlight(waitingOn: "delivery", for: "delivery.scheduled"))

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(0.04 + 301), stuckAfter: 300)
        guard case .stuck(let reason) = report.verdict else {
            Issue.record("expected stuck, got \(report.verdict)")
            return
        }
        #expect(reason.contains("no progress for 5m0"))
        #expect(reason.contains("delivery to join account.validated and drone.allocated"))
    }

    @Test("a flight timer still to come is not stuck; an overdue one is")
    func flightTimers() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduled", at: 0.04, causedBy: "drone.allocated")
        saga.snapshot.deadlines = [SagaDeadline(service: "drone", name: "flight-pickup", fireAt: saga.at(900))]

        let flying = SagaAnalysis.analyse(saga.snapshot, now: saga.at(600), stuckAfter: 300)
        #expect(flying.verdict == .inFlight(waitingOn: "drone", for: "drone.picked-up"))

        let overdue = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1_300), stuckAfter: 300)
        guard case .stuck(let reason) = overdue.verdict else {
            Issue.record("expected stuck, got \(overdue.verdict)")
            return
        }
        #expect(reason.contains("flight-pickup"))
        #expect(reason.contains("has not fired"))
    }

    @Test("a timer whose handler failed every attempt and was parked: stuck at once, with its error")
    func parkedTimerIsStuck() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduled", at: 0.04, causedBy: "drone.allocated")
        saga.snapshot.deadlines = [SagaDeadline(
            service: "drone", name: "flight-pickup", fireAt: saga.at(1), parkedAt: saga.at(2), lastError: "drone row vanished")]
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(3), stuckAfter: 300)
        guard case .stuck(let reason) = report.verdict else {
            Issue.record("expected stuck, got \(report.verdict)")
            return
        }
        #expect(reason.contains("flight-pickup failed every attempt and was parked: drone row vanished"))
    }

    @Test("a parked message of the delivery: stuck, with the reason")
    func parkedMessageIsStuck() {
        var saga = SagaFixture()
        saga.upToAllocation()
        let allocated = saga.id("drone.allocated")
        saga.snapshot.handled.removeAll { $0.eventId == allocated && $0.service == "delivery" }
        saga.snapshot.parked = [SagaParkedMessage(
            service: "delivery", messageId: allocated.uuidString.lowercased(), eventType: "drone.allocated",
            deliveryId: saga.deliveryId.uuidString.lowercased(), reason: "retries-exhausted", lastError: "deadlock detected\nmore", attempts: 5)]

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        guard case .stuck(let reason) = report.verdict else {
            Issue.record("expected stuck, got \(report.verdict)")
            return
        }
        #expect(reason.contains("drone.allocated"))
        #expect(reason.contains("delivery.parked"))
        #expect(reason.contains("retries-exhausted after 5 attempt(s): deadlock detected"))
        #expect(!reason.contains("more"))
    }

    @Test("a parked duplicate the service has handled since is only a warning")
    func parkedDuplicate() {
        var saga = SagaFixture.completed()
        let created = saga.id("package.created")
        saga.snapshot.parked = [SagaParkedMessage(
            service: "drone", messageId: created.uuidString.lowercased(), eventType: "package.created",
            deliveryId: saga.deliveryId.uuidString.lowercased(), reason: "retries-exhausted", attempts: 5)]
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        #expect(report.verdict == .completed)
        #expect(report.warnings.contains { $0.contains("drone.parked") && $0.contains("handled since") })
    }

    @Test("delivery.cancelled with both compensations: cancelled")
    func cancelled() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduled", at: 0.04, causedBy: "drone.allocated")
        saga.log("delivery.cancellation-requested", at: 0.5, data: SagaFixture.reason("CUSTOMER_REQUEST"))
        saga.log("delivery.cancelled", at: 0.51, causedBy: "delivery.cancellation-requested", data: SagaFixture.reason("CUSTOMER_REQUEST"))
        saga.log("package.cancelled", at: 0.52, causedBy: "delivery.cancelled", data: SagaFixture.reason("DELIVERY_CANCELLED"))
        saga.log("drone.released", at: 0.53, causedBy: "delivery.cancelled", data: SagaFixture.reason("DELIVERY_CANCELLED", extra: ["droneId": "drone-007"]))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "cancelled", cancelReason: "DELIVERY_CANCELLED")
        saga.droneReleasedInState("DELIVERY_CANCELLED")
        saga.snapshot.state.delivery = DeliveryServiceState(state: "cancelled", failureCode: "CUSTOMER_REQUEST")

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(3_600))
        #expect(report.verdict == .cancelled)
        #expect(report.events.first { $0.type == "delivery.cancellation-requested" }?.depth == 0)
    }

    @Test("delivery.scheduling-failed with both compensations: compensated")
    func compensated() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduling-failed", at: 0.04, causedBy: "drone.allocated", data: SagaFixture.reason("NO_FLY_ZONE", extra: ["droneId": "drone-007"]))
        saga.log("package.cancelled", at: 0.05, causedBy: "delivery.scheduling-failed", data: SagaFixture.reason("SCHEDULING_FAILED"))
        saga.log("drone.released", at: 0.05, causedBy: "delivery.scheduling-failed", data: SagaFixture.reason("SCHEDULING_FAILED", extra: ["droneId": "drone-007"]))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "cancelled", cancelReason: "SCHEDULING_FAILED")
        saga.droneReleasedInState("SCHEDULING_FAILED")
        saga.snapshot.state.delivery = DeliveryServiceState(state: "failed", failureCode: "NO_FLY_ZONE")

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(3_600))
        #expect(report.verdict == .compensated)
        #expect(report.detail.contains("NO_FLY_ZONE"))
    }

    @Test("package.rejected: rejected, nothing to compensate")
    func packageRejected() {
        var saga = SagaFixture()
        saga.log("delivery.requested", at: 0)
        saga.log("account.validated", at: 0.01, causedBy: "delivery.requested")
        saga.log("package.rejected", at: 0.011, causedBy: "delivery.requested", data: SagaFixture.reason("OVERWEIGHT"))
        saga.snapshot.state.packageOutcome = PackageOutcomeState(state: "rejected", reasonCode: "OVERWEIGHT")

        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(3_600))
        #expect(report.verdict == .rejected)
        #expect(report.detail.contains("nothing to compensate"))
    }

    @Test("a compensation committed but not published: in flight on its publisher, stuck when old")
    func unpublishedCompensation() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduling-failed", at: 0.04, causedBy: "drone.allocated", data: SagaFixture.reason("DEADLINE_UNREACHABLE"))
        saga.log("package.cancelled", at: 0.05, causedBy: "delivery.scheduling-failed", data: SagaFixture.reason("SCHEDULING_FAILED"))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "cancelled", cancelReason: "SCHEDULING_FAILED")
        saga.droneReleasedInState("SCHEDULING_FAILED")
        saga.snapshot.pendingOutbox = [PendingOutboxEvent(
            service: "drone", eventType: "drone.released", causationId: saga.id("delivery.scheduling-failed"), committedAt: saga.at(0.05),
            occurredAt: saga.at(0.05), data: SagaFixture.reason("SCHEDULING_FAILED", extra: ["droneId": "drone-007"]))]

        let soon = SagaAnalysis.analyse(saga.snapshot, now: saga.at(2))
        #expect(soon.verdict == .inFlight(waitingOn: "drone", for: "drone.released"))
        #expect(soon.pendingOutbox.count == 1)

        let late = SagaAnalysis.analyse(saga.snapshot, now: saga.at(400))
        guard case .stuck(let reason) = late.verdict else {
            Issue.record("expected stuck, got \(late.verdict)")
            return
        }
        #expect(reason.contains("drone committed drone.released"))
        #expect(reason.contains("has not published it"))
    }

    @Test("a failure committed but not published yet: waiting on its publisher, not on the step it answers")
    func unpublishedFailure() {
        var saga = SagaFixture()
        saga.log("delivery.requested", at: 0)
        saga.snapshot.pendingOutbox = [PendingOutboxEvent(
            service: "account", eventType: "account.rejected", causationId: saga.id("delivery.requested"), committedAt: saga.at(0.01),
            data: SagaFixture.reason("ACCOUNT_SUSPENDED"))]
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        #expect(report.verdict == .inFlight(waitingOn: "account", for: "account.rejected"))
        #expect(report.waits.map(\.event) == ["account.rejected", "package.created"])
        #expect(report.events.map(\.type) == ["delivery.requested"])
    }

    @Test("only the ingestion request is known: waiting on ingestion")
    func onlyTheRequest() {
        var saga = SagaFixture()
        saga.snapshot.state.request = IngestionRequestState(ownerId: "acct-active-001", acceptedAt: saga.at(0))
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        #expect(report.verdict == .inFlight(waitingOn: "ingestion", for: "delivery.requested"))
        #expect(report.events.isEmpty)
    }
}

@Suite("SagaTimeText")
struct SagaTimeTextTests {
    @Test("offsets, durations and --since values")
    func formats() {
        #expect(SagaTimeText.offset(0.012) == "+0.012s")
        #expect(SagaTimeText.duration(4.25) == "4.2s" || SagaTimeText.duration(4.25) == "4.3s")
        #expect(SagaTimeText.duration(312) == "5m12s")
        #expect(SagaTimeText.duration(7_380) == "2h03m")
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(SagaTimeText.since("30m", now: now) == now.addingTimeInterval(-1_800))
        #expect(SagaTimeText.since("1h", now: now) == now.addingTimeInterval(-3_600))
        #expect(SagaTimeText.since("2026-06-15T08:00:00Z", now: now) == RFC3339.date(from: "2026-06-15T08:00:00Z"))
        #expect(SagaTimeText.since("2026-06-15", now: now) == RFC3339.date(from: "2026-06-15T00:00:00Z"))
        #expect(SagaTimeText.since("yesterday", now: now) == nil)
        #expect(SagaTimeText.since("-5m", now: now) == nil)
    }
}
