@testable import Choreography
import Contracts
import Foundation
import Postgres
import ServiceTestSupport
import Testing

/// The runtime's inbox, outbox and deadline statements against the real database: one
/// statement records a whole transaction's units, and each unit still gets its own outbox rows.
@Suite("Runtime tables: a transaction's units recorded in one statement")
struct RuntimeTablesTests {
    @Test("handled events go into the inbox and what each emitted into the outbox together; each event's rows are its own; a duplicate commits nothing")
    func handledEventsRecordedTogether() async throws {
        let harness = try EchoHarness()
        try await harness.withRunningService {}
        let connection = try await harness.service.connectToSchema()
        let consumed = try (0..<4).map { _ in try Self.receivedEvent() }
        let emitted = [[Self.outboxEvent(), Self.outboxEvent()], [], [Self.outboxEvent()], []]
        let pending = try await connection.transaction { db in
            try RuntimeTables.recordHandled(
                zip(consumed, emitted).map { HandledEvent(event: $0, traceId: nil, emitted: $1) }, db)
        }
        try await Self.expectOwnRows(pending, emitted, connection)
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 4)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 3)

        // A copy of an event in the inbox fails the whole statement, with its new neighbour's rows.
        let again = [HandledEvent(event: try Self.receivedEvent(), traceId: nil, emitted: [Self.outboxEvent()]),
                     HandledEvent(event: consumed[2], traceId: nil, emitted: [Self.outboxEvent()])]
        await #expect { try await connection.transaction { db in _ = try RuntimeTables.recordHandled(again, db) } } throws: {
            RuntimeTables.isDuplicate($0)
        }
        #expect(try await harness.count("SELECT count(*) FROM inbox") == 4)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 3)
        await connection.close()
        try await harness.cleanUp()
    }

    @Test("fired deadlines are marked fired and what each emitted goes into the outbox together; each deadline's rows are its own")
    func firedDeadlinesRecordedTogether() async throws {
        let harness = try EchoHarness()
        try await harness.withRunningService {}
        let connection = try await harness.service.connectToSchema()
        // Far in the future, so the scheduler of a running service would not take them.
        let ids = try await connection.query("""
            INSERT INTO deadlines (name, delivery_id, fire_at)
            SELECT 'later', gen_random_uuid(), clock_timestamp() + interval '1 day' FROM generate_series(1, 4) RETURNING id
            """).map { try $0.decode(Int64.self, column: "id") }
        let emitted = [[], [Self.outboxEvent()], [], [Self.outboxEvent(), Self.outboxEvent()]]
        let pending = try await connection.transaction { db in
            try RuntimeTables.recordFired(ids, emitting: emitted, db)
        }
        try await Self.expectOwnRows(pending, emitted, connection)
        #expect(try await harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 4)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 3)
        // Nothing emitted: the deadlines are still marked fired.
        let more = try await connection.query(
            "INSERT INTO deadlines (name, delivery_id, fire_at) VALUES ('later', gen_random_uuid(), clock_timestamp()) RETURNING id"
        ).map { try $0.decode(Int64.self, column: "id") }
        let none = try await connection.transaction { db in try RuntimeTables.recordFired(more, emitting: [[]], db) }
        #expect(try none.flatMap { try $0.rows() }.isEmpty)
        #expect(try await harness.count("SELECT count(*) FROM deadlines WHERE fired_at IS NOT NULL") == 5)
        await connection.close()
        try await harness.cleanUp()
    }

    /// Each unit's committed rows are its own events, in order, under the ids the outbox holds them by.
    private static func expectOwnRows(_ pending: [PendingOutboxRows], _ emitted: [[OutboxEvent]], _ connection: PostgresConnection) async throws {
        #expect(pending.count == emitted.count)
        for (unit, events) in zip(pending, emitted) {
            let rows = try unit.rows()
            #expect(rows.map(\.event.eventId) == events.map(\.eventId))
            for row in rows {
                let stored = try await connection.query("SELECT event_id FROM outbox WHERE id = $1", [.int64(row.id)])
                #expect(try stored.first?.decode(UUID.self, column: "event_id") == row.event.eventId)
            }
        }
    }

    private static func receivedEvent() throws -> ReceivedEvent {
        ReceivedEvent(
            envelope: try AnyEventEnvelope(EventEnvelope(deliveryId: UUID(), causationId: nil, data: AccountValidated.sample())),
            body: [], attempt: 1)
    }

    private static func outboxEvent() -> OutboxEvent {
        OutboxEvent(
            eventId: UUID(), type: "account.validated", producer: "account", schemaVersion: 1, deliveryId: UUID(),
            causationId: UUID(), body: #"{"ownerId":"o"}"#)
    }
}
