@testable import DeliveryService
import Foundation
import Postgres
import ServiceTestSupport
import Testing

/// `DeliveryTable.lock` (lock the row, or create it, in one statement) under the races it must
/// survive: two first events of one delivery on two connections at once, and an event against
/// a deadline of its delivery firing.
@Suite("Delivery table: lock or create")
struct DeliveryTableTests {
    @Test("two first events at once: one creates the row, the other waits for its commit and takes the same row")
    func concurrentFirstEvents() async throws {
        let bed = try DeliveryTestBed()
        try await bed.harness.withRunningService {}  // the schema and its migrations
        let delivery = UUID()
        let creator = try await bed.harness.connectToSchema(applicationName: "lock-or-create creator")
        let waiter = try await bed.harness.connectToSchema(applicationName: "lock-or-create waiter")
        let taken = try await creator.transaction { db -> Task<DeliveryRecord, any Error> in
            let created = try DeliveryTable.lock(delivery, db)
            #expect(created.deliveryId == delivery)
            let taking = Task { try await waiter.transaction { db in try DeliveryTable.lock(delivery, db) } }
            // Commit only once the other waits for this row (state, not time).
            try await waitUntil("the second connection to wait for the row") {
                try await bed.harness.count("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE wait_event_type = 'Lock' AND application_name = 'lock-or-create waiter'
                    """) == 1
            }
            return taking
        }
        let record = try await taken.value
        #expect(record.deliveryId == delivery)
        #expect(record.state == .joining)
        #expect(try await bed.harness.count("SELECT count(*) FROM deliveries WHERE delivery_id = $1", [.uuid(delivery)]) == 1)
        await creator.close()
        await waiter.close()
        try await bed.harness.cleanUp()
    }

    @Test("an event locks the delivery's pending deadline before its row: it waits for the firing deadline, then reads what that committed")
    func pendingDeadlineLockedFirst() async throws {
        let bed = try DeliveryTestBed()
        try await bed.harness.withRunningService {}  // the schema and its migrations
        let delivery = UUID()
        let firing = try await bed.harness.connectToSchema(applicationName: "deadline firing")
        let event = try await bed.harness.connectToSchema(applicationName: "event waiting")
        _ = try await event.transaction { db in try DeliveryTable.lock(delivery, db) }
        let deadline = DeliveryService.pickupOverdueDeadline
        _ = try await bed.harness.query(
            "INSERT INTO deadlines (name, delivery_id, fire_at) VALUES ($1, $2, clock_timestamp()) RETURNING id",
            [.text(deadline), .uuid(delivery)])
        let taking = try await firing.transaction { db -> Task<DeliveryRecord, any Error> in
            // The scheduler's order: the deadline's row, then the delivery's.
            _ = try db.query("SELECT id FROM deadlines WHERE delivery_id = $1 FOR UPDATE", [.uuid(delivery)])
            let taking = Task { try await event.transaction { db in try DeliveryTable.lock(delivery, pendingDeadlines: [deadline], db) } }
            try await waitUntil("the event to wait for the deadline's lock") {
                try await bed.harness.count("""
                    SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'event waiting'
                    """) == 1
            }
            // The event holds no lock on the row yet (else this would deadlock and fail).
            _ = try db.query(
                "UPDATE deliveries SET failure_message = 'set by the deadline' WHERE delivery_id = $1 RETURNING delivery_id", [.uuid(delivery)])
            _ = try db.query("UPDATE deadlines SET fired_at = clock_timestamp() WHERE delivery_id = $1 RETURNING id", [.uuid(delivery)])
            return taking
        }
        #expect(try await taking.value.failureMessage == "set by the deadline")
        await firing.close()
        await event.close()
        try await bed.harness.cleanUp()
    }
}
