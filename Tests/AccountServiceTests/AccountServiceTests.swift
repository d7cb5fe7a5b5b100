import AccountService
import Choreography
import Contracts
import Foundation
import Postgres
import ServiceTestSupport
import Testing

/// The account service on the real servers: every decision, duplicates, republished requests,
/// concurrent requests against a limit, the admin operations and fault injection.
@Suite("Account service: delivery.requested → account.validated | account.rejected")
struct AccountServiceTests {
    private let validator: ContractValidator

    init() throws { validator = try ContractValidator() }

    @Test("an active account is validated, its delivery counted and the decision recorded")
    func activeAccountIsValidated() async throws {
        let harness = try accountHarness()
        let capture = try await harness.captureQueue(accountEventKeys)
        let deliveryId = UUID()
        let requestId = UUID()
        try await harness.withRunningService {
            try await harness.publish(deliveryRequest(owner: "acct-active-001"), deliveryId: deliveryId, id: requestId)
            try await waitUntil("the decision") { try await harness.count("SELECT count(*) FROM decisions") == 1 }
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        let envelope = try #require(emitted.first)
        _ = try validator.validate(message: envelope.jsonValue)
        #expect(envelope.deliveryId == deliveryId)
        #expect(envelope.causationId == requestId)
        // The limit of 1,000,000 is over what account.validated v1 can carry (100,000).
        #expect(try envelope.payload(as: AccountValidated.self)
            == AccountValidated(ownerId: "acct-active-001", dailyLimit: 100_000, deliveriesToday: 1))
        #expect(try await harness.count("""
            SELECT deliveries FROM daily_usage
            WHERE owner_id = 'acct-active-001' AND day = (now() AT TIME ZONE 'UTC')::date
            """) == 1)
        #expect(try await harness.count(
            "SELECT count(*) FROM decisions WHERE delivery_id = $1 AND outcome = 'validated' AND reason_code IS NULL",
            [.uuid(deliveryId)]) == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("unknown, suspended and over-limit accounts are rejected with their codes; usage is not counted")
    func rejections() async throws {
        let harness = try accountHarness()
        let capture = try await harness.captureQueue(accountEventKeys)
        let owners = ["acct-nobody-999", "acct-suspended-002", "acct-over-limit-004"]
        let deliveries = owners.map { _ in UUID() }
        try await harness.withRunningService {
            for (owner, deliveryId) in zip(owners, deliveries) {
                try await harness.publish(deliveryRequest(owner: owner), deliveryId: deliveryId)
            }
            try await waitUntil("three decisions") { try await harness.count("SELECT count(*) FROM decisions") == 3 }
        }
        let emitted = byDelivery(try await harness.drain(capture, expecting: 3))
        #expect(emitted.count == 3)
        let expected: [(AccountRejected.Code, String)] = [
            (.accountUnknown, "Account acct-nobody-999 is unknown."),
            (.accountSuspended, "Account acct-suspended-002 is suspended."),
            (.dailyLimitExceeded, "Account acct-over-limit-004 reached its daily limit of 0 deliveries."),
        ]
        for (index, deliveryId) in deliveries.enumerated() {
            let envelope = try #require(emitted[deliveryId])
            _ = try validator.validate(message: envelope.jsonValue)
            let rejected = try envelope.payload(as: AccountRejected.self)
            #expect(rejected.ownerId == owners[index])
            #expect(rejected.reason == Reason(expected[index].0, expected[index].1))
            #expect(try await harness.count(
                "SELECT count(*) FROM decisions WHERE delivery_id = $1 AND outcome = 'rejected' AND reason_code = $2",
                [.uuid(deliveryId), .text(expected[index].0.rawValue)]) == 1)
        }
        #expect(try await harness.count("SELECT count(*) FROM daily_usage") == 0)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("acct-near-limit-003 is validated three times a day, then DAILY_LIMIT_EXCEEDED")
    func nearLimitAccount() async throws {
        let harness = try accountHarness()
        let capture = try await harness.captureQueue(accountEventKeys)
        try await harness.withRunningService {
            for _ in 0..<4 {
                try await harness.publish(deliveryRequest(owner: "acct-near-limit-003"), deliveryId: UUID())
            }
            try await waitUntil("four decisions") { try await harness.count("SELECT count(*) FROM decisions") == 4 }
        }
        let emitted = try await harness.drain(capture, expecting: 4)
        #expect(emitted.count == 4)
        let validated = try emitted.filter { $0.type == .accountValidated }.map { try $0.payload(as: AccountValidated.self) }
        let rejected = try emitted.filter { $0.type == .accountRejected }.map { try $0.payload(as: AccountRejected.self) }
        #expect(validated.map(\.deliveriesToday).sorted() == [1, 2, 3])
        #expect(validated.allSatisfy { $0.dailyLimit == 3 && $0.ownerId == "acct-near-limit-003" })
        #expect(rejected.map(\.reason.code) == [.dailyLimitExceeded])
        #expect(try await harness.count("SELECT deliveries FROM daily_usage WHERE owner_id = 'acct-near-limit-003'") == 3)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("a saga that fails or is cancelled gives its place in the daily limit back, once; an end seen before the request counts nothing")
    func usageGivenBack() async throws {
        let harness = try accountHarness()
        let failed = UUID()
        let cancelled = UUID()
        let endedFirst = UUID()
        let completes = UUID()
        let cancellation = DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer."))
        @Sendable func usage() async throws -> Int {
            try await harness.count("SELECT COALESCE(sum(deliveries), 0)::int FROM daily_usage WHERE owner_id = 'acct-near-limit-003'")
        }
        try await harness.withRunningService {
            for id in [failed, cancelled, completes] {
                try await harness.publish(deliveryRequest(owner: "acct-near-limit-003"), deliveryId: id)
            }
            try await waitUntil("three decisions") { try await harness.count("SELECT count(*) FROM decisions") == 3 }
            #expect(try await usage() == 3)
            try await harness.publish(DroneAllocationFailed.sample(), deliveryId: failed)
            try await harness.publish(DeliverySchedulingFailed.sample(), deliveryId: failed)
            try await harness.publish(cancellation, deliveryId: cancelled)
            try await waitUntil("two given back") {
                try await harness.count("SELECT count(*) FROM decisions WHERE given_back_at IS NOT NULL") == 2
            }
            try await waitUntil("every end handled") {
                try await harness.count("""
                    SELECT count(*) FROM inbox WHERE event_type IN ('drone.allocation-failed', 'delivery.scheduling-failed', 'delivery.cancelled')
                    """) == 3
            }
            #expect(try await usage() == 1)
            // The end overtook the request: decided, not counted.
            try await harness.publish(PackageRejected.sample(), deliveryId: endedFirst)
            try await waitUntil("the end recorded") { try await harness.count("SELECT count(*) FROM ended_deliveries") == 3 }
            try await harness.publish(deliveryRequest(owner: "acct-near-limit-003"), deliveryId: endedFirst)
            try await waitUntil("its decision") { try await harness.count("SELECT count(*) FROM decisions") == 4 }
            #expect(try await usage() == 1)
        }
        #expect(try await harness.count("SELECT count(*) FROM decisions WHERE delivery_id = $1 AND counted_day IS NULL", [.uuid(endedFirst)]) == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("a request for a saga that already ended is decided but emits nothing, also for an owner with no usage today")
    func requestAfterTheEnd() async throws {
        let harness = try accountHarness { $0.workers = 1 }
        let capture = try await harness.captureQueue(accountEventKeys)
        let ended = UUID()
        let marker = UUID()
        try await harness.withRunningService {
            try await harness.publish(DeliveryCancelled(reason: Reason(.customerRequest, "Cancelled by the customer.")), deliveryId: ended)
            try await waitUntil("the end recorded") { try await harness.count("SELECT count(*) FROM ended_deliveries") == 1 }
            try await harness.publish(deliveryRequest(owner: "acct-active-001"), deliveryId: ended)
            // One worker: the marker's rejection is emitted after whatever the first request emitted.
            try await harness.publish(deliveryRequest(owner: "acct-nobody-999"), deliveryId: marker)
            try await waitUntil("both decisions") { try await harness.count("SELECT count(*) FROM decisions") == 2 }
        }
        // Before the fix it announced account.validated with deliveriesToday 0, which its own
        // schema refuses (minimum 1), so every consumer parked it.
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.map(\.deliveryId) == [marker])
        #expect(try await harness.count("SELECT count(*) FROM decisions WHERE delivery_id = $1 AND counted_day IS NULL", [.uuid(ended)]) == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("the same event id twice has one effect and emits one event")
    func duplicateEventId() async throws {
        let harness = try accountHarness { $0.workers = 1 }
        let capture = try await harness.captureQueue(accountEventKeys)
        let deliveryId = UUID()
        let requestId = UUID()
        let marker = UUID()
        try await harness.declareTopology()
        // Staged before the service starts; one worker handles them in this order.
        try await harness.publish(deliveryRequest(owner: "acct-near-limit-003"), deliveryId: deliveryId, id: requestId)
        try await harness.publish(deliveryRequest(owner: "acct-near-limit-003"), deliveryId: deliveryId, id: requestId)
        try await harness.publish(deliveryRequest(owner: "acct-nobody-999"), deliveryId: marker)
        try await harness.withRunningService {
            try await waitUntil("the marker's decision") {
                try await harness.count("SELECT count(*) FROM decisions WHERE delivery_id = $1", [.uuid(marker)]) == 1
            }
            try await waitUntil("an empty work queue") { try await harness.depth(harness.topology.workQueue) == 0 }
        }
        let emitted = try await harness.drain(capture, expecting: 2)
        #expect(emitted.count == 2)
        #expect(emitted.filter { $0.deliveryId == deliveryId }.map(\.type) == [.accountValidated])
        #expect(try await harness.count("SELECT deliveries FROM daily_usage WHERE owner_id = 'acct-near-limit-003'") == 1)
        #expect(try await harness.count("SELECT count(*) FROM inbox WHERE event_id = $1", [.uuid(requestId)]) == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("a republished request (same delivery, new event id) neither counts again nor emits again")
    func republishedRequest() async throws {
        let harness = try accountHarness()
        let capture = try await harness.captureQueue(accountEventKeys)
        let deliveryId = UUID()
        let republishId = UUID()
        try await harness.withRunningService {
            try await harness.withServiceDatabase { db in try AccountAdmin.add(ownerId: "acct-one-a-day", dailyLimit: 1, on: db) }
            try await harness.publish(deliveryRequest(owner: "acct-one-a-day"), deliveryId: deliveryId)
            try await waitUntil("the decision") { try await harness.count("SELECT count(*) FROM decisions") == 1 }
            // Had it been counted again, the limit of 1 would reject it.
            try await harness.publish(deliveryRequest(owner: "acct-one-a-day"), deliveryId: deliveryId, id: republishId)
            try await waitUntil("the republished request handled") {
                try await harness.count("SELECT count(*) FROM inbox WHERE event_id = $1", [.uuid(republishId)]) == 1
            }
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        #expect(try emitted.first?.payload(as: AccountValidated.self)
            == AccountValidated(ownerId: "acct-one-a-day", dailyLimit: 1, deliveriesToday: 1))
        #expect(try await harness.count("SELECT deliveries FROM daily_usage WHERE owner_id = 'acct-one-a-day'") == 1)
        #expect(try await harness.count("SELECT count(*) FROM decisions WHERE outcome = 'validated'") == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("five copies of one delivery's request under new event ids, handled at once: one decision, counted once")
    func concurrentRepublishedRequests() async throws {
        let harness = try accountHarness { $0.workers = 4 }
        let capture = try await harness.captureQueue(accountEventKeys)
        let deliveryId = UUID()
        try await harness.declareTopology()
        var ids: [UUID] = []
        for _ in 0..<5 { ids.append(try await harness.publish(deliveryRequest(owner: "acct-near-limit-003"), deliveryId: deliveryId)) }
        let requestIds = ids
        try await harness.withRunningService(instances: 2) {
            for id in requestIds {
                try await waitUntil("every copy handled") {
                    try await harness.count("SELECT count(*) FROM inbox WHERE event_id = $1", [.uuid(id)]) == 1
                }
            }
            try await waitUntil("an empty outbox") { try await harness.count("SELECT count(*) FROM outbox") == 0 }
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        #expect(try emitted.first?.payload(as: AccountValidated.self)
            == AccountValidated(ownerId: "acct-near-limit-003", dailyLimit: 3, deliveriesToday: 1))
        #expect(try await harness.count("SELECT deliveries FROM daily_usage WHERE owner_id = 'acct-near-limit-003'") == 1)
        #expect(try await harness.count("SELECT count(*) FROM decisions") == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("ten concurrent requests against a limit of 3: exactly 3 validated, 7 DAILY_LIMIT_EXCEEDED")
    func concurrentRequestsNeverExceedTheLimit() async throws {
        let harness = try accountHarness { $0.workers = 4 }
        let capture = try await harness.captureQueue(accountEventKeys)
        // First start: migrate and add the account; then stage the requests while it is stopped,
        // so the next start takes them in one batch spread over the workers of two instances.
        try await harness.withRunningService {
            try await harness.withServiceDatabase { db in try AccountAdmin.add(ownerId: "acct-three-a-day", dailyLimit: 3, on: db) }
        }
        let deliveries = (0..<10).map { _ in UUID() }
        for deliveryId in deliveries {
            try await harness.publish(deliveryRequest(owner: "acct-three-a-day"), deliveryId: deliveryId)
        }
        try await harness.withRunningService(instances: 2) {
            try await waitUntil("ten decisions") { try await harness.count("SELECT count(*) FROM decisions") == 10 }
        }
        let emitted = try await harness.drain(capture, expecting: 10)
        #expect(emitted.count == 10)
        #expect(Set(emitted.map(\.deliveryId)) == Set(deliveries))
        let validated = try emitted.filter { $0.type == .accountValidated }.map { try $0.payload(as: AccountValidated.self) }
        let rejected = try emitted.filter { $0.type == .accountRejected }.map { try $0.payload(as: AccountRejected.self) }
        #expect(validated.count == 3)
        #expect(validated.map(\.deliveriesToday).sorted() == [1, 2, 3])
        #expect(rejected.count == 7)
        #expect(rejected.allSatisfy { $0.reason.code == .dailyLimitExceeded })
        #expect(try await harness.count("SELECT deliveries FROM daily_usage WHERE owner_id = 'acct-three-a-day'") == 3)
        #expect(try await harness.count("SELECT count(*) FROM decisions WHERE outcome = 'validated'") == 3)
        #expect(try await harness.count(
            "SELECT count(*) FROM decisions WHERE outcome = 'rejected' AND reason_code = 'DAILY_LIMIT_EXCEEDED'") == 7)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("admin: add, list, suspend and activate; the service follows the account's status")
    func adminOperations() async throws {
        let harness = try accountHarness()
        let capture = try await harness.captureQueue(accountEventKeys)
        let whileSuspended = UUID()
        let afterActivation = UUID()
        try await harness.withRunningService {
            let records = try await harness.withServiceDatabase { db -> [AccountRecord] in
                try AccountAdmin.add(ownerId: "Team.alpha_1", dailyLimit: 5, on: db)
                return try AccountAdmin.list(on: db)
            }
            #expect(records.map(\.ownerId) == ["Team.alpha_1", "acct-active-001", "acct-near-limit-003", "acct-over-limit-004", "acct-suspended-002"])
            let added = try #require(records.first)
            #expect(added.status == .active && added.dailyLimit == 5 && added.deliveriesToday == 0)
            #expect(records.first { $0.ownerId == "acct-suspended-002" }?.status == .suspended)

            let exists = try await harness.withServiceDatabase { db in
                try #require(throws: AccountAdminError.self) { try AccountAdmin.add(ownerId: "Team.alpha_1", dailyLimit: 9, on: db) }
            }
            #expect(exists.code == .accountExists)
            let badId = try await harness.withServiceDatabase { db in
                try #require(throws: AccountAdminError.self) { try AccountAdmin.add(ownerId: "no spaces", dailyLimit: 9, on: db) }
            }
            #expect(badId.code == .invalidOwnerId)
            let badLimit = try await harness.withServiceDatabase { db in
                try #require(throws: AccountAdminError.self) { try AccountAdmin.add(ownerId: "fine", dailyLimit: -1, on: db) }
            }
            #expect(badLimit.code == .invalidDailyLimit)
            #expect(try await harness.count("SELECT count(*) FROM accounts") == 5)

            #expect(try await harness.withServiceDatabase { db in try AccountAdmin.suspend(ownerId: "Team.alpha_1", on: db) })
            #expect(try await harness.withServiceDatabase { db in try AccountAdmin.suspend(ownerId: "acct-nobody-999", on: db) } == false)
            #expect(try await harness.withServiceDatabase { db in try AccountAdmin.activate(ownerId: "acct-nobody-999", on: db) } == false)
            try await harness.publish(deliveryRequest(owner: "Team.alpha_1"), deliveryId: whileSuspended)
            try await waitUntil("the first decision") { try await harness.count("SELECT count(*) FROM decisions") == 1 }

            #expect(try await harness.withServiceDatabase { db in try AccountAdmin.activate(ownerId: "Team.alpha_1", on: db) })
            try await harness.publish(deliveryRequest(owner: "Team.alpha_1"), deliveryId: afterActivation)
            try await waitUntil("the second decision") { try await harness.count("SELECT count(*) FROM decisions") == 2 }

            let after = try await harness.withServiceDatabase { db in try AccountAdmin.list(on: db) }
            let record = try #require(after.first { $0.ownerId == "Team.alpha_1" })
            #expect(record.status == .active && record.deliveriesToday == 1)
        }
        let emitted = byDelivery(try await harness.drain(capture, expecting: 2))
        #expect(try emitted[whileSuspended]?.payload(as: AccountRejected.self).reason
            == Reason(.accountSuspended, "Account Team.alpha_1 is suspended."))
        #expect(try emitted[afterActivation]?.payload(as: AccountValidated.self)
            == AccountValidated(ownerId: "Team.alpha_1", dailyLimit: 5, deliveriesToday: 1))
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }

    @Test("forward-failure injection rejects with DAILY_LIMIT_EXCEEDED and counts nothing")
    func injectedForwardFailure() async throws {
        let harness = try accountHarness { $0.faults.forwardFailureProbability = 1 }
        let capture = try await harness.captureQueue(accountEventKeys)
        let deliveryId = UUID()
        try await harness.withRunningService {
            try await harness.publish(deliveryRequest(owner: "acct-active-001"), deliveryId: deliveryId)
            try await waitUntil("the decision") { try await harness.count("SELECT count(*) FROM decisions") == 1 }
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        let envelope = try #require(emitted.first)
        _ = try validator.validate(message: envelope.jsonValue)
        #expect(try envelope.payload(as: AccountRejected.self) == AccountRejected(
            ownerId: "acct-active-001", reason: Reason(.dailyLimitExceeded, "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)")))
        #expect(try await harness.count("SELECT count(*) FROM daily_usage") == 0)
        #expect(try await harness.count(
            "SELECT count(*) FROM decisions WHERE outcome = 'rejected' AND reason_code = 'DAILY_LIMIT_EXCEEDED'") == 1)
        #expect(try await harness.parkedCount() == 0)
        try await harness.cleanUp()
    }
}
