@testable import DeliveryService
import Foundation
import Postgres
import ServiceTestSupport
import Testing

/// `DeliveryTable.lock` (lock the row, or create it, in one statement) under the race it must
/// survive: two first events of one delivery on two connections at once.
@Suite("Delivery table: lock or create")
struct DeliveryTableTests {
    @Test("two first events at once: one creates the row, the other waits for its commit and takes the same row")
    func concurrentFirstEvents() async throws {
        let bed = try DeliveryTestBed()
        try await bed.harness.withRunningService {}  // the schema and its migrations
        let delivery = UUID()
        let creator = try await PostgresConnection.connect(url: bed.harness.databaseURL, applicationName: "lock-or-create creator")
        let waiter = try await PostgresConnection.connect(url: bed.harness.databaseURL, applicationName: "lock-or-create waiter")
        for connection in [creator, waiter] { _ = try await connection.simpleQuery("SET search_path TO \(bed.harness.name)") }
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
}
