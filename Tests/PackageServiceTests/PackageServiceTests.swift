import Choreography
import Contracts
import Foundation
import PackageService
import Postgres
import ServiceTestSupport
import Testing

/// The package service on the real servers: creation, rejection, every compensation, delivery,
/// duplicates, republished requests and adversarial orders of one delivery's events.
@Suite("Package service: delivery.requested → package.created | package.rejected; compensations → package.cancelled")
struct PackageServiceTests {
    private let validator: ContractValidator

    init() throws { validator = try ContractValidator() }

    @Test("a valid package is created and announced with the request's route and times")
    func packageIsCreated() async throws {
        let harness = try packageHarness()
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveryId = UUID()
        let request = deliveryRequest(.medium, 3.75, tag: "books #12")
        let requestId = UUID()
        try await harness.withRunningService {
            try await harness.publish(request, deliveryId: deliveryId, id: requestId)
            try await harness.waitForHandled(requestId)
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        let envelope = try #require(emitted.first)
        _ = try validator.validate(message: envelope.jsonValue)
        #expect(envelope.deliveryId == deliveryId && envelope.causationId == requestId)
        let packageId = try await harness.packageId(of: deliveryId)
        #expect(try envelope.payload(as: PackageCreated.self) == PackageCreated(
            packageId: packageId, packageInfo: request.packageInfo, pickupLocation: request.pickupLocation,
            dropoffLocation: request.dropoffLocation, pickupTime: request.pickupTime, deadline: request.deadline,
            expedited: true))
        let row = try #require(try await harness.query(
            "SELECT owner_id, size, weight_kg, tag, state, cancel_reason FROM packages WHERE delivery_id = $1",
            [.uuid(deliveryId)]).first)
        #expect(try row.decode(String.self, column: "owner_id") == "acct-active-001")
        #expect(try row.decode(String.self, column: "size") == "medium")
        #expect(try row.decode(Double.self, column: "weight_kg") == 3.75)
        #expect(try row.decode(String.self, column: "tag") == "books #12")
        #expect(try row.decode(String.self, column: "state") == "active")
        #expect(try row.decode(String?.self, column: "cancel_reason") == nil)
        #expect(try await harness.outcome(of: deliveryId) == "created/-")
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("packages breaking a rule are rejected with its code; a compensation afterwards does nothing")
    func packagesAreRejected() async throws {
        let harness = try packageHarness()
        let capture = try await harness.captureQueue(packageEventKeys)
        let cases: [(PackageInfo, PackageRejected.Code?)] = [
            (PackageInfo(size: .small, weightKg: 2, tag: "exactly-two"), nil),
            (PackageInfo(size: .small, weightKg: 2.01, tag: "a-bit-heavy"), .invalidSize),
            (PackageInfo(size: .large, weightKg: 26, tag: "anvil"), .overweight),
            (PackageInfo(size: .small, weightKg: 0, tag: "feather"), .nonPositiveWeight),
        ]
        let deliveries = cases.map { _ in UUID() }
        let lateCompensation = UUID()
        try await harness.withRunningService {
            var ids: [UUID] = []
            for ((info, _), deliveryId) in zip(cases, deliveries) {
                ids.append(try await harness.publish(deliveryRequest(info.size, info.weightKg, tag: info.tag), deliveryId: deliveryId))
            }
            for id in ids { try await harness.waitForHandled(id, "the four requests handled") }
            // The saga fails later (e.g. the account is rejected): nothing to cancel for a rejected package.
            try await Compensation.accountRejected.publish(on: harness, deliveryId: deliveries[1], id: lateCompensation)
            try await harness.waitForHandled(lateCompensation)
            try await harness.waitForOutboxEmpty()
        }
        let emitted = byDelivery(try await harness.drain(capture, expecting: 4))
        #expect(emitted.values.map(\.type).sorted { $0.rawValue < $1.rawValue } == [.packageCreated, .packageRejected, .packageRejected, .packageRejected])
        for ((info, code), deliveryId) in zip(cases, deliveries) {
            let envelope = try #require(emitted[deliveryId])
            _ = try validator.validate(message: envelope.jsonValue)
            if let code {
                let rejected = try envelope.payload(as: PackageRejected.self)
                #expect(rejected.packageInfo == info)
                #expect(rejected.reason.code == code)
                #expect(rejected.reason.message == PackageRules.message(for: code, info, limits: PackageLimits()))
                #expect(try await harness.outcome(of: deliveryId) == "rejected/\(code.rawValue)")
            } else {
                #expect(try envelope.payload(as: PackageCreated.self).packageInfo == info)
            }
        }
        #expect(try await harness.count("SELECT count(*) FROM packages") == 1)
        #expect(try await harness.count("SELECT count(*) FROM packages WHERE delivery_id = $1 AND state = 'active'", [.uuid(deliveries[0])]) == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("each failure of the saga cancels the created package with its reason code")
    func compensationsCancelThePackage() async throws {
        let harness = try packageHarness()
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveries = Compensation.allCases.map { _ in UUID() }
        try await harness.withRunningService {
            for deliveryId in deliveries { try await harness.publish(deliveryRequest(), deliveryId: deliveryId) }
            try await waitUntil("four packages") { try await harness.count("SELECT count(*) FROM packages") == 4 }
            for (compensation, deliveryId) in zip(Compensation.allCases, deliveries) {
                try await compensation.publish(on: harness, deliveryId: deliveryId, packageId: try await harness.packageId(of: deliveryId))
            }
            try await waitUntil("four cancelled packages") {
                try await harness.count("SELECT count(*) FROM packages WHERE state = 'cancelled'") == 4
            }
        }
        let emitted = try await harness.drain(capture, expecting: 8)
        #expect(emitted.count == 8)
        for (compensation, deliveryId) in zip(Compensation.allCases, deliveries) {
            let events = emitted.filter { $0.deliveryId == deliveryId }
            #expect(events.map(\.type) == [.packageCreated, .packageCancelled])
            let cancelled = try #require(events.last)
            _ = try validator.validate(message: cancelled.jsonValue)
            let payload = try cancelled.payload(as: PackageCancelled.self)
            #expect(payload.packageId == (try await harness.packageId(of: deliveryId)))
            #expect(payload.reason.code == compensation.code)
            #expect(try await harness.count(
                "SELECT count(*) FROM packages WHERE delivery_id = $1 AND state = 'cancelled' AND cancel_reason = $2",
                [.uuid(deliveryId), .text(compensation.code.rawValue)]) == 1)
        }
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("delivery.completed marks the package delivered without an event; a late compensation then does nothing")
    func completedPackageIsDelivered() async throws {
        let harness = try packageHarness()
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveryId = UUID()
        try await harness.withRunningService {
            try await harness.publish(deliveryRequest(), deliveryId: deliveryId)
            try await waitUntil("the package") { try await harness.count("SELECT count(*) FROM packages") == 1 }
            let packageId = try await harness.packageId(of: deliveryId)
            try await harness.waitForHandled(
                try await harness.publish(DeliveryCompleted(droneId: "drone-007", packageId: packageId), deliveryId: deliveryId))
            #expect(try await harness.packageState(of: deliveryId) == "delivered")
            try await harness.waitForHandled(
                try await Compensation.deliveryCancelled.publish(on: harness, deliveryId: deliveryId, packageId: packageId))
            try await harness.waitForOutboxEmpty()
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.map(\.type) == [.packageCreated])
        #expect(try await harness.packageState(of: deliveryId) == "delivered")
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("the same event ids twice: one package, one package.created, one package.cancelled")
    func duplicateEventIds() async throws {
        let harness = try packageHarness { $0.workers = 1 }
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveryId = UUID()
        let marker = UUID()
        let requestId = UUID()
        let rejectionId = UUID()
        try await harness.declareTopology()
        // Staged in order before the service starts; one worker handles them in this order.
        try await harness.publish(deliveryRequest(), deliveryId: deliveryId, id: requestId)
        try await harness.publish(deliveryRequest(), deliveryId: deliveryId, id: requestId)
        try await Compensation.accountRejected.publish(on: harness, deliveryId: deliveryId, id: rejectionId)
        try await Compensation.accountRejected.publish(on: harness, deliveryId: deliveryId, id: rejectionId)
        let markerId = try await harness.publish(deliveryRequest(), deliveryId: marker)
        try await harness.withRunningService {
            try await harness.waitForHandled(markerId, "the marker handled")
            try await harness.waitForOutboxEmpty()
        }
        let emitted = try await harness.drain(capture, expecting: 3)
        #expect(emitted.filter { $0.deliveryId == deliveryId }.map(\.type) == [.packageCreated, .packageCancelled])
        #expect(emitted.filter { $0.deliveryId == marker }.map(\.type) == [.packageCreated])
        #expect(try await harness.count("SELECT count(*) FROM packages WHERE delivery_id = $1", [.uuid(deliveryId)]) == 1)
        #expect(try await harness.packageState(of: deliveryId) == "cancelled")
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 3)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("a republished request (same delivery, new event id) creates nothing and emits nothing")
    func republishedRequest() async throws {
        let harness = try packageHarness()
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveryId = UUID()
        try await harness.withRunningService {
            try await harness.waitForHandled(try await harness.publish(deliveryRequest(), deliveryId: deliveryId))
            try await harness.waitForHandled(try await harness.publish(deliveryRequest(.large, 20), deliveryId: deliveryId))
            try await harness.waitForOutboxEmpty()
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.map(\.type) == [.packageCreated])
        #expect(try await harness.count("SELECT count(*) FROM packages") == 1)
        #expect(try await harness.count("SELECT count(*) FROM packages WHERE size = 'medium'") == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("five copies of one delivery's request under new event ids, handled at once: one package, one package.created")
    func concurrentRepublishedRequests() async throws {
        let harness = try packageHarness { $0.workers = 4 }
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveryId = UUID()
        try await harness.declareTopology()
        var ids: [UUID] = []
        for _ in 0..<5 { ids.append(try await harness.publish(deliveryRequest(), deliveryId: deliveryId)) }
        let requestIds = ids
        try await harness.withRunningService(instances: 2) {
            for id in requestIds { try await harness.waitForHandled(id, "every copy handled") }
            try await harness.waitForOutboxEmpty()
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.map(\.type) == [.packageCreated])
        #expect(try emitted.first?.payload(as: PackageCreated.self).packageId == (try await harness.packageId(of: deliveryId)))
        #expect(try await harness.count("SELECT count(*) FROM packages") == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("a failure that arrives before the request leaves a tombstone: the late request creates nothing")
    func compensationBeforeRequest() async throws {
        let harness = try packageHarness { $0.workers = 1 }
        let capture = try await harness.captureQueue(packageEventKeys)
        let rejectedFirst = UUID()
        let cancelledFirst = UUID()
        let failedTwiceFirst = UUID()
        let marker = UUID()
        try await harness.declareTopology()
        // Staged in this order; one worker handles them in this order.
        try await Compensation.accountRejected.publish(on: harness, deliveryId: rejectedFirst)
        try await harness.publish(deliveryRequest(), deliveryId: rejectedFirst)
        try await Compensation.deliveryCancelled.publish(on: harness, deliveryId: cancelledFirst)
        try await harness.publish(deliveryRequest(), deliveryId: cancelledFirst)
        try await Compensation.schedulingFailed.publish(on: harness, deliveryId: failedTwiceFirst)
        try await Compensation.accountRejected.publish(on: harness, deliveryId: failedTwiceFirst)
        try await harness.publish(deliveryRequest(.small, 30), deliveryId: failedTwiceFirst)
        let markerId = try await harness.publish(deliveryRequest(), deliveryId: marker)
        try await harness.withRunningService {
            try await harness.waitForHandled(markerId, "the marker handled")
            try await harness.waitForOutboxEmpty()
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.map(\.type) == [.packageCreated])
        #expect(emitted.map(\.deliveryId) == [marker])
        #expect(try await harness.count("SELECT count(*) FROM packages WHERE delivery_id <> $1", [.uuid(marker)]) == 0)
        #expect(try await harness.outcome(of: rejectedFirst) == "cancelled-before-creation/ACCOUNT_REJECTED")
        #expect(try await harness.outcome(of: cancelledFirst) == "cancelled-before-creation/DELIVERY_CANCELLED")
        #expect(try await harness.outcome(of: failedTwiceFirst) == "cancelled-before-creation/SCHEDULING_FAILED")
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 8)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("several failures of one delivery handled at once cancel its package exactly once")
    func concurrentCompensations() async throws {
        let harness = try packageHarness { $0.workers = 4 }
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveries = (0..<6).map { _ in UUID() }
        try await harness.withRunningService {
            for deliveryId in deliveries { try await harness.publish(deliveryRequest(), deliveryId: deliveryId) }
            try await waitUntil("six packages") { try await harness.count("SELECT count(*) FROM packages") == 6 }
        }
        // Staged while stopped, so the next start takes them in one batch over four workers.
        var ids: [UUID] = []
        for deliveryId in deliveries {
            let packageId = try await harness.packageId(of: deliveryId)
            for compensation in Compensation.allCases {
                ids.append(try await compensation.publish(on: harness, deliveryId: deliveryId, packageId: packageId))
            }
        }
        let compensationIds = ids
        try await harness.withRunningService(instances: 2) {
            for id in compensationIds { try await harness.waitForHandled(id, "every compensation handled") }
            try await harness.waitForOutboxEmpty()
        }
        let emitted = try await harness.drain(capture, expecting: 12)
        for deliveryId in deliveries {
            let events = emitted.filter { $0.deliveryId == deliveryId }
            #expect(events.map(\.type) == [.packageCreated, .packageCancelled])
            #expect(try await harness.packageState(of: deliveryId) == "cancelled")
        }
        #expect(emitted.count == 12)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("a request and a failure of one delivery handled at once: either cancelled after creation or never created")
    func requestRacingCompensation() async throws {
        let harness = try packageHarness { $0.workers = 4 }
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveries = (0..<20).map { _ in UUID() }
        try await harness.declareTopology()
        var ids: [UUID] = []
        for (index, deliveryId) in deliveries.enumerated() {
            // Alternate which comes first; neighbours land on different worker connections.
            if index.isMultiple(of: 2) {
                ids.append(try await harness.publish(deliveryRequest(), deliveryId: deliveryId))
                ids.append(try await Compensation.accountRejected.publish(on: harness, deliveryId: deliveryId))
            } else {
                ids.append(try await Compensation.accountRejected.publish(on: harness, deliveryId: deliveryId))
                ids.append(try await harness.publish(deliveryRequest(), deliveryId: deliveryId))
            }
        }
        let eventIds = ids
        try await harness.withRunningService(instances: 2) {
            for id in eventIds { try await harness.waitForHandled(id, "every event handled") }
            try await harness.waitForOutboxEmpty()
        }
        let created = try await harness.count("SELECT count(*) FROM packages")
        let emitted = try await harness.drain(capture, expecting: 2 * created)
        #expect(emitted.count == 2 * created)
        #expect(try await harness.count("SELECT count(*) FROM packages WHERE state <> 'cancelled'") == 0)
        for deliveryId in deliveries {
            let events = emitted.filter { $0.deliveryId == deliveryId }.map(\.type)
            let outcome = try await harness.outcome(of: deliveryId)
            if try await harness.packageState(of: deliveryId) == nil {
                #expect(events.isEmpty)
                #expect(outcome == "cancelled-before-creation/ACCOUNT_REJECTED")
            } else {
                // Both can be in one batch, published in batch order: compare without order.
                #expect(events.sorted { $0.rawValue < $1.rawValue } == [.packageCancelled, .packageCreated])
                #expect(outcome == "created/-")
            }
        }
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("forward-failure injection rejects with INVALID_SIZE and creates nothing")
    func injectedForwardFailure() async throws {
        let harness = try packageHarness { $0.faults.forwardFailureProbability = 1 }
        let capture = try await harness.captureQueue(packageEventKeys)
        let deliveryId = UUID()
        let request = deliveryRequest()
        try await harness.withRunningService {
            try await harness.waitForHandled(try await harness.publish(request, deliveryId: deliveryId))
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        let envelope = try #require(emitted.first)
        _ = try validator.validate(message: envelope.jsonValue)
        #expect(try envelope.payload(as: PackageRejected.self) == PackageRejected(
            packageInfo: request.packageInfo, reason: Reason(.invalidSize, "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)")))
        #expect(try await harness.count("SELECT count(*) FROM packages") == 0)
        #expect(try await harness.outcome(of: deliveryId) == "rejected/INVALID_SIZE")
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }
}

/// Emitted envelopes by delivery id (for deliveries that emitted one event each).
func byDelivery(_ envelopes: [AnyEventEnvelope]) -> [UUID: AnyEventEnvelope] {
    Dictionary(envelopes.map { ($0.deliveryId, $0) }, uniquingKeysWith: { first, _ in first })
}
