import AMQP
import Choreography
import Contracts
import Foundation
import IntegrationSupport
import Postgres
import Testing

/// The runtime's event loop against the real servers, with the echo service in-process.
@Suite("Choreography runtime: handling, retries, parking, deadlines")
struct EventProcessingTests {
    @Test("duplicated and redelivered events have exactly one effect", arguments: [1, 16])
    func duplicatesHaveOneEffect(eventsPerTransaction: Int) async throws {
        let harness = try EchoHarness(eventsPerTransaction: eventsPerTransaction)
        let capture = try await harness.captureQueue()
        try await harness.withRunningService {
            let repeated = try harness.request(owner: "dup-owner")
            var messages = Array(repeating: repeated, count: 5)
            messages += try (0..<20).map { _ in try harness.request(owner: "dup-owner") }
            try await harness.publish(messages)
            try await harness.publish([repeated, repeated])
            // 27 copies of 21 events: every copy settled, 6 of them skipped as duplicates.
            try await waitUntil("21 events handled and 6 duplicates skipped") {
                harness.eventsHandled == 21 && harness.duplicatesSkipped == 6
            }
        }
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 21)
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 21)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 0)
        let emitted = try await harness.drain(capture, expecting: 21)
        #expect(emitted.count == 21)
        #expect(Set(emitted.compactMap { $0.properties.headers["causation-id"]?.stringValue }).count == 21)
        #expect(emitted.allSatisfy { $0.properties.type == "account.validated" && $0.properties.persistent })
        try await harness.cleanUp()
    }

    @Test("a worker handles several events in one transaction, or one per transaction when configured", arguments: [1, 16])
    func eventsShareATransaction(eventsPerTransaction: Int) async throws {
        let harness = try EchoHarness(eventsPerTransaction: eventsPerTransaction, workers: 1)
        let capture = try await harness.captureQueue()
        try await harness.declareTopology()
        // Queued before the runtime starts, so they arrive together.
        try await harness.publish(try (0..<16).map { index in try harness.request(owner: "together-\(index)") })
        try await harness.withRunningService {
            try await waitUntil("16 echoes") { try await harness.count("SELECT count(*) FROM echoes") == 16 }
        }
        // xmin is the id of the transaction that wrote the row.
        let transactions = try await harness.count("SELECT count(DISTINCT xmin::text) FROM echoes")
        if eventsPerTransaction == 1 {
            #expect(transactions == 16)
        } else {
            #expect(transactions < 16, "16 events in \(transactions) transactions")
        }
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 16)
        #expect(try await harness.drain(capture, expecting: 16).count == 16)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 0)
        try await harness.cleanUp()
    }

    @Test("a handler that asks for a transaction of its own is handled alone, not retried; its shared transaction's events are handled one by one")
    func handlerAsksForItsOwnTransaction() async throws {
        let harness = try EchoHarness(retryAttempts: 1, eventsPerTransaction: 16, workers: 1)
        let capture = try await harness.captureQueue()
        try await harness.declareTopology()
        let owners = (0..<16).map { index in index % 5 == 2 ? "alone-\(index)" : "shared-\(index)" }
        try await harness.publish(try owners.map { try harness.request(owner: $0) })
        try await harness.withRunningService {
            try await waitUntil("16 echoes") { try await harness.count("SELECT count(*) FROM echoes") == 16 }
        }
        // One attempt allowed: a handler failure would have parked its event.
        #expect(try await harness.depth(harness.topology.parkedQueue) == 0)
        #expect(try await harness.drain(capture, expecting: 16).count == 16)
        // Each `alone` echo was written by a transaction that wrote nothing else.
        let alone = try await harness.count("""
            SELECT count(*) FROM echoes e WHERE owner_id LIKE 'alone-%'
            AND (SELECT count(*) FROM echoes o WHERE o.xmin::text = e.xmin::text) = 1
            """)
        #expect(alone == 3)
        try await harness.cleanUp()
    }

    @Test("a failing handler, a duplicate and poison in a shared transaction: each gets its own outcome, the rest commit once")
    func failureInASharedTransaction() async throws {
        let harness = try EchoHarness(retryAttempts: 1, eventsPerTransaction: 16, workers: 1)
        let capture = try await harness.captureQueue()
        try await harness.declareTopology()
        let good = try (0..<8).map { index in try harness.request(owner: "good-\(index)") }
        var notJSON = try harness.request(owner: "x")
        notJSON.body = Array("not json".utf8)
        notJSON.properties.messageId = "not-json"
        try await harness.publish(Array(good[0..<4]) + [try harness.request(owner: "fail-always-shared"), good[1], notJSON] + Array(good[4...]))
        try await harness.withRunningService {
            try await waitUntil("8 echoes and 2 parked") {
                let echoes = try await harness.count("SELECT count(*) FROM echoes")
                let parked = try await harness.depth(harness.topology.parkedQueue)
                return echoes == 8 && parked == 2 && harness.duplicatesSkipped == 1
            }
        }
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 8)
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 8)
        #expect(try await harness.count("SELECT count(*) FROM echoes WHERE owner_id LIKE 'fail-always%'") == 0)
        let parked = try await ParkedMessages(amqpURL: harness.amqpURL, topology: harness.topology).list()
        #expect(Set(parked.map(\.reason)) == ["retries-exhausted", "not-json"])
        let emitted = try await harness.drain(capture, expecting: 8)
        #expect(Set(emitted.compactMap { $0.properties.headers["causation-id"]?.stringValue })
            == Set(good.compactMap(\.properties.messageId)))
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 0)
        try await harness.cleanUp()
    }

    @Test("emitted events carry the message properties and headers of the design")
    func emittedEventProperties() async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue()
        let deliveryId = UUID()
        let request = try harness.request(owner: "props-owner", deliveryId: deliveryId)
        try await harness.withRunningService {
            try await harness.publish([request])
            try await waitUntil("the echo") { try await harness.count("SELECT count(*) FROM echoes") == 1 }
        }
        let emitted = try #require(try await harness.drain(capture, expecting: 1).first)
        let body = try ContractValidator().validate(emitted.body)
        #expect(body.type == .accountValidated)
        #expect(body.deliveryId == deliveryId)
        #expect(body.causationId?.uuidString.lowercased() == request.properties.messageId)
        #expect(emitted.properties.messageId == body.id.uuidString.lowercased())
        #expect(emitted.properties.correlationId == deliveryId.uuidString.lowercased())
        #expect(emitted.properties.contentType == "application/json")
        #expect(emitted.properties.headers["causation-id"]?.stringValue == request.properties.messageId)
        #expect(emitted.properties.headers["producer"]?.stringValue == "account")
        #expect(emitted.properties.headers["schema-version"]?.intValue == 1)
        let traceparent = try #require(emitted.properties.headers["traceparent"]?.stringValue)
        #expect(traceparent.hasPrefix("00-\(deliveryId.uuidString.lowercased().replacingOccurrences(of: "-", with: ""))-"))
        try await harness.cleanUp()
    }

    @Test("an event no queue is bound for is returned, not lost: it stays in the outbox until a queue exists")
    func unroutableEventStaysInTheOutbox() async throws {
        let harness = try EchoHarness(everyEventHasAQueue: false)
        // Nothing is bound to account.validated on this exchange yet.
        try await harness.withRunningService {
            try await harness.publish([try harness.request(owner: "no-queue-yet")])
            try await waitUntil("the echo") { try await harness.count("SELECT count(*) FROM echoes") == 1 }
        }
        // The runtime stopped gracefully, so its publish was answered: returned, the row is kept.
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 1)
        let capture = try await harness.captureQueue()
        try await harness.withRunningService {
            try await waitUntil("the relay published the kept row") { try await harness.count("SELECT count(*) FROM outbox") == 0 }
        }
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        #expect(try ContractValidator().validate(try #require(emitted.first).body).type == .accountValidated)
        try await harness.cleanUp()
    }

    @Test("a work queue deleted under a running service is declared again and consumed by one consumer")
    func deletedWorkQueueIsRecovered() async throws {
        let harness = try EchoHarness()
        try await harness.withRunningService {
            try await harness.publish([try harness.request(owner: "before")])
            try await waitUntil("the first echo") { try await harness.count("SELECT count(*) FROM echoes") == 1 }
            // The broker cancels the consumer of a deleted queue (basic.cancel).
            try await harness.deleteQueue(harness.topology.workQueue)
            try await waitUntil("the queue declared again and consumed") {
                (try? await harness.consumerCount(harness.topology.workQueue)) == 1
            }
            try await harness.publish([try harness.request(owner: "after")])
            try await waitUntil("the second echo") { try await harness.count("SELECT count(*) FROM echoes") == 2 }
            #expect(try await harness.consumerCount(harness.topology.workQueue) == 1)
        }
        try await harness.cleanUp()
    }

    @Test("a failing handler is retried through the delay queues, then parked with the reason")
    func failingHandlerIsRetriedThenParked() async throws {
        let harness = try EchoHarness(retryAttempts: 3)
        _ = try await harness.captureQueue()
        try await harness.withRunningService {
            try await harness.publish([try harness.request(owner: "fail-always-1"), try harness.request(owner: "fail-once-1")])
            try await waitUntil("one parked message") { try await harness.depth(harness.topology.parkedQueue) == 1 }
            try await waitUntil("the fail-once echo") { try await harness.count("SELECT count(*) FROM echoes") == 1 }
        }
        let parked = try await ParkedMessages(amqpURL: harness.amqpURL, topology: harness.topology).list()
        #expect(parked.count == 1)
        let message = try #require(parked.first)
        #expect(message.reason == "retries-exhausted")
        #expect(message.attempts == 3)
        #expect(message.lastError?.contains("always fails") == true)
        #expect(message.originalQueue == harness.topology.workQueue)
        #expect(message.type == "delivery.requested")
        #expect(try await harness.count("SELECT count(*) FROM echoes WHERE owner_id = 'fail-once-1'") == 1)
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 1)
        // Listing leaves the message parked.
        #expect(try await harness.depth(harness.topology.parkedQueue) == 1)
        try await harness.cleanUp()
    }

    @Test("poison input is parked at once with a clear reason, never retried")
    func poisonIsParkedAtOnce() async throws {
        let harness = try EchoHarness(retryAttempts: 5)
        try await harness.withRunningService {
            var notJSON = try harness.request(owner: "x")
            notJSON.body = Array("this is not json".utf8)
            notJSON.properties.messageId = "not-json"
            var invalid = try harness.request(owner: "x")
            invalid.body = Array(String(decoding: invalid.body, as: UTF8.self)
                .replacingOccurrences(of: #""weightKg":"#, with: #""weightKg":-4,"ignored":"#).utf8)
            invalid.properties.messageId = "schema-violation"
            var unknown = try harness.request(owner: "x")
            unknown.body = Array(String(decoding: unknown.body, as: UTF8.self)
                .replacingOccurrences(of: "delivery.requested", with: "drone.exploded").utf8)
            unknown.properties.messageId = "unknown-type"
            try await harness.publish([notJSON, invalid, unknown])
            try await waitUntil("three parked messages") { try await harness.depth(harness.topology.parkedQueue) == 3 }
        }
        let parked = try await ParkedMessages(amqpURL: harness.amqpURL, topology: harness.topology).list()
        let byId = Dictionary(uniqueKeysWithValues: parked.map { ($0.messageId ?? "", $0) })
        #expect(byId["not-json"]?.reason == "not-json")
        #expect(byId["schema-violation"]?.reason == "schema-violation")
        #expect(byId["schema-violation"]?.lastError?.contains("/data/") == true)
        #expect(byId["unknown-type"]?.reason == "unknown-type")
        #expect(parked.allSatisfy { $0.attempts == 1 })
        #expect(byId["not-json"]?.body == Array("this is not json".utf8))
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 0)
        try await harness.cleanUp()
    }

    @Test("a redelivered backlog: the events handled before are settled as duplicates, the others still share a transaction")
    func redeliveredBacklog() async throws {
        let harness = try EchoHarness(eventsPerTransaction: 16, workers: 1)
        try await harness.declareTopology()
        let handledBefore = try (0..<5).map { index in try harness.request(owner: "before-\(index)") }
        let fresh = try (0..<5).map { index in try harness.request(owner: "fresh-\(index)") }
        try await harness.withRunningService {
            try await harness.publish(handledBefore)
            try await waitUntil("the first five handled") { harness.eventsHandled == 5 }
        }
        // Waiting while the service is down, alternating, so that any two neighbours hold a copy of an event handled before.
        try await harness.publish(zip(handledBefore, fresh).flatMap { [$0, $1] })
        try await harness.withRunningService {
            try await waitUntil("five more handled and five duplicates skipped") {
                harness.eventsHandled == 10 && harness.duplicatesSkipped == 5
            }
        }
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 10)
        #expect(harness.sharedTransactions("redone-without-duplicates") >= 1)
        #expect(harness.sharedTransactions("redone-one-by-one") == 0)
        try await harness.cleanUp()
    }

    @Test("a parked message replayed after the cause is fixed is handled")
    func replayFromParking() async throws {
        let harness = try EchoHarness(retryAttempts: 2)
        let capture = try await harness.captureQueue()
        try await harness.withRunningService {
            _ = try await harness.query("INSERT INTO blocked_owners VALUES ('blocked-owner') RETURNING owner_id")
            try await harness.publish([try harness.request(owner: "blocked-owner")])
            try await waitUntil("the parked message") { try await harness.depth(harness.topology.parkedQueue) == 1 }
            _ = try await harness.query("DELETE FROM blocked_owners RETURNING owner_id")
            let replayed = try await ParkedMessages(amqpURL: harness.amqpURL, topology: harness.topology).replay()
            #expect(replayed.count == 1)
            try await waitUntil("the replayed echo") { try await harness.count("SELECT count(*) FROM echoes") == 1 }
        }
        #expect(try await harness.depth(harness.topology.parkedQueue) == 0)
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1, "\(emitted.map { ($0.properties.type ?? "", $0.properties.headers["causation-id"]?.stringValue ?? "", $0.properties.messageId ?? "") })")
        try await harness.cleanUp()
    }

    @Test("a deadline whose handler keeps failing follows the retry policy, then is parked with its error")
    func failingDeadlineIsParked() async throws {
        let harness = try EchoHarness(retryAttempts: 3)
        try await harness.withRunningService {
            try await harness.publish([try harness.request(owner: "deadline-fails")])
            try await waitUntil("the deadline parked") {
                try await harness.count("SELECT count(*) FROM deadlines WHERE parked_at IS NOT NULL") == 1
            }
        }
        let row = try #require(try await harness.query("SELECT attempts, last_error, fired_at IS NULL AS unfired FROM deadlines").first)
        #expect(try row.decode(Int.self, column: "attempts") == 3)
        #expect(try row.decode(String.self, column: "last_error").contains("always fails"))
        #expect(try row.decode(Bool.self, column: "unfired"))
        #expect(try await harness.count("SELECT count(*) FROM deadline_firings") == 0)
        try await harness.cleanUp()
    }

    @Test("a deadline whose transaction the database ends as a deadlock victim fires again at once: no failed attempt is recorded")
    func deadlineConflictIsRedone() async throws {
        let harness = try EchoHarness(retryAttempts: 3)
        try await harness.withRunningService {
            try await harness.publish([try harness.request(owner: "deadline-conflict-once")])
            try await waitUntil("the deadline fired") { try await harness.count("SELECT count(*) FROM deadline_firings") == 1 }
        }
        let row = try #require(try await harness.query("SELECT attempts, last_error IS NULL AS clean, fired_at IS NOT NULL AS fired FROM deadlines").first)
        #expect(try row.decode(Int.self, column: "attempts") == 0)
        #expect(try row.decode(Bool.self, column: "clean"))
        #expect(try row.decode(Bool.self, column: "fired"))
        #expect(try await harness.count("SELECT last_value FROM conflicts_raised") == 2)
        try await harness.cleanUp()
    }

    @Test("deadlines due together fire in one transaction; when one of them fails, the others fire one by one and it alone is retried, then parked")
    func deadlinesShareATransaction() async throws {
        let harness = try EchoHarness(retryAttempts: 2)
        let capture = try await harness.captureQueue(["delivery.scheduling-failed"])
        // Rows due a second ago, committed by one statement: the scheduler sees all of them at once.
        let insertDue = { @Sendable (count: Int) in
            """
            INSERT INTO deadlines (name, delivery_id, fire_at)
            SELECT 'echo-timeout', gen_random_uuid(), clock_timestamp() - interval '1 second' FROM generate_series(1, \(count))
            RETURNING id
            """
        }
        try await harness.withRunningService {
            _ = try await harness.query(insertDue(10))
            try await waitUntil("ten firings") { try await harness.count("SELECT count(*) FROM deadline_firings") == 10 }
            #expect(try await harness.count("SELECT count(DISTINCT xmin::text) FROM deadline_firings") == 1)

            // Four more and one whose handler fails (its delivery's echo names a failing owner).
            let failing = UUID()
            _ = try await harness.query(
                "INSERT INTO echoes (event_id, delivery_id, owner_id) VALUES (gen_random_uuid(), $1, 'deadline-fails') RETURNING event_id",
                [.uuid(failing)])
            _ = try await harness.query("""
                WITH due AS (\(insertDue(4)))
                INSERT INTO deadlines (name, delivery_id, fire_at) VALUES ('echo-timeout', $1, clock_timestamp() - interval '1 second')
                RETURNING id
                """, [.uuid(failing)])
            try await waitUntil("the failing deadline parked") {
                try await harness.count("SELECT count(*) FROM deadlines WHERE parked_at IS NOT NULL") == 1
            }
            try await waitUntil("fourteen firings") { try await harness.count("SELECT count(*) FROM deadline_firings") == 14 }
        }
        // The four fired one per transaction after the shared one failed; nothing fired twice.
        #expect(try await harness.count("SELECT count(DISTINCT xmin::text) FROM deadline_firings") == 5)
        #expect(try await harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 14)
        let parked = try #require(try await harness.query("SELECT attempts, last_error FROM deadlines WHERE parked_at IS NOT NULL").first)
        #expect(try parked.decode(Int.self, column: "attempts") == 2)
        #expect(try parked.decode(String.self, column: "last_error").contains("always fails"))
        #expect(try await harness.drain(capture, expecting: 14).count == 14)
        try await harness.cleanUp()
    }

    @Test("a deadline fires once even with two instances polling")
    func deadlineFiresOnceAcrossInstances() async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue(["delivery.scheduling-failed"])
        try await harness.withRunningService(instances: 2) {
            try await harness.publish(try (0..<10).map { _ in try harness.request(owner: "deadline-owner") })
            // A fired deadline is marked in its firing's transaction; once all ten are marked, no
            // instance can fire one again, so the counts below are final.
            try await waitUntil("ten deadlines marked fired") {
                try await harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 10
            }
        }
        #expect(try await harness.count("SELECT count(*) FROM deadline_firings") == 10)
        #expect(try await harness.count("SELECT count(DISTINCT delivery_id) FROM deadline_firings") == 10)
        #expect(try await harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 10)
        let failures = try await harness.drain(capture, expecting: 10)
        #expect(failures.count == 10)
        try await harness.cleanUp()
    }
}
