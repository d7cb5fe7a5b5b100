import Contracts
import Foundation
import Postgres

/// A committed outbox row: what to publish and the row id to delete once published.
package struct OutboxRow: Sendable {
    let id: Int64
    let event: OutboxEvent
}

/// Emitted events inserted into the outbox by a deferred statement: their rows (with ids) once
/// the transaction has committed. Several units' events may share one statement: these are its
/// rows from `offset` on.
package struct PendingOutboxRows: Sendable {
    let events: [OutboxEvent]
    let ids: DeferredRows?
    var offset = 0

    /// No outbox rows: the work emitted nothing.
    static let nothing = PendingOutboxRows(events: [], ids: nil)

    /// The committed rows.
    package func rows() throws -> [OutboxRow] {
        guard let ids else { return [] }
        return try RuntimeTables.outboxRows(try ids.rows.dropFirst(offset), events)
    }
}

/// A consumed event its handler ran for in the open transaction, and the events it emitted.
struct HandledEvent {
    let event: ReceivedEvent
    /// The trace the inbox row names (nil with tracing off).
    let traceId: String?
    let emitted: [OutboxEvent]
}

/// SQL for the service's `outbox`, `inbox` and `deadlines` tables (unqualified: the connection's
/// search_path is the service's schema).
enum RuntimeTables {
    /// Inserts emitted events in a statement sent with the transaction's next statement or COMMIT;
    /// their rows (with ids) are readable once it ran.
    static func recordEmitted(_ events: [OutboxEvent], _ db: isolated PostgresConnection) throws -> PendingOutboxRows {
        try insertIntoOutbox([events], with: nil, [], db)[0]
    }

    /// Records handled events in the inbox and what they emitted in the outbox, in one statement
    /// deferred to travel with the transaction's COMMIT (whatever the number of events sharing
    /// the transaction). A duplicate (an event id already in the inbox) fails it with a unique
    /// violation on `inbox_pkey` (see `isDuplicate`), and nothing commits. Returns each event's
    /// outbox rows.
    static func recordHandled(_ handled: [HandledEvent], _ db: isolated PostgresConnection) throws -> [PendingOutboxRows] {
        guard !handled.isEmpty else { return [] }
        return try insertIntoOutbox(handled.map(\.emitted), with: """
            INSERT INTO inbox (event_id, event_type, delivery_id, trace_id)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[])
            """, [
                .array(handled.map { .uuid($0.event.id) }), .array(handled.map { .text($0.event.type) }),
                .array(handled.map { .uuid($0.event.deliveryId) }), .array(handled.map { .text($0.traceId) }),
            ], db)
    }

    /// Marks the deadlines `ids` fired (in the transaction that ran their handlers) and records
    /// what each emitted in the outbox, in one statement deferred to travel with the COMMIT.
    /// Returns each deadline's outbox rows.
    static func recordFired(_ ids: [Int64], emitting emitted: [[OutboxEvent]], _ db: isolated PostgresConnection) throws -> [PendingOutboxRows] {
        guard !ids.isEmpty else { return [] }
        return try insertIntoOutbox(
            emitted, with: "UPDATE deadlines SET fired_at = clock_timestamp() WHERE id = ANY($1)", [int8Array(ids)], db)
    }

    /// Runs `statement` (if any) and, in the same deferred statement, inserts every unit's
    /// `emitted` events in the outbox; returns each unit's outbox rows.
    private static func insertIntoOutbox(
        _ emitted: [[OutboxEvent]], with statement: String?, _ parameters: [PostgresValue], _ db: isolated PostgresConnection
    ) throws -> [PendingOutboxRows] {
        let events = emitted.flatMap { $0 }
        guard !events.isEmpty else {
            if let statement { try db.executeDeferred(statement, parameters) }
            return emitted.map { _ in .nothing }
        }
        let (values, outboxParameters) = outboxValues(events, firstParameter: parameters.count + 1)
        // A data-modifying WITH runs exactly once, to completion, though nothing reads it.
        let ids = try db.queryDeferred(
            (statement.map { "WITH recorded AS (\($0))\n" } ?? "") + "INSERT INTO outbox (\(outboxColumns)) VALUES \(values) RETURNING id",
            parameters + outboxParameters)
        var offset = 0
        return emitted.map { events in
            defer { offset += events.count }
            return events.isEmpty ? .nothing : PendingOutboxRows(events: events, ids: ids, offset: offset)
        }
    }

    /// Whether an error is the inbox refusing an event id it already holds.
    static func isDuplicate(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isUniqueViolation && error.constraint == "inbox_pkey"
    }

    /// Which of `eventIds` are in the inbox (committed by someone).
    static func inInbox(_ eventIds: [UUID], _ db: isolated PostgresConnection) throws -> Set<UUID> {
        Set(try db.query("SELECT event_id FROM inbox WHERE event_id = ANY($1)", [.uuidArray(eventIds)]).map {
            try $0.decode(UUID.self, column: "event_id")
        })
    }

    /// Whether an event id is in the inbox (committed by someone).
    static func isInInbox(_ eventId: UUID, _ db: isolated PostgresConnection) throws -> Bool {
        try inInbox([eventId], db).contains(eventId)
    }

    private static let outboxColumns = "event_id, event_type, producer, schema_version, delivery_id, causation_id, body, trace_context"

    private static func outboxValues(_ events: [OutboxEvent], firstParameter: Int) -> (String, [PostgresValue]) {
        var placeholders: [String] = []
        var parameters: [PostgresValue] = []
        for (index, event) in events.enumerated() {
            let base = firstParameter + index * 8
            placeholders.append("(" + (0..<8).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
            parameters += [
                .uuid(event.eventId), .text(event.type), .text(event.producer), .int32(Int32(event.schemaVersion)),
                .uuid(event.deliveryId), .uuid(event.causationId), .json(event.body), .jsonb(event.trace?.storedForm),
            ]
        }
        return (placeholders.joined(separator: ", "), parameters)
    }

    static func outboxRows(_ rows: some Sequence<PostgresRow>, _ events: [OutboxEvent]) throws -> [OutboxRow] {
        try zip(rows, events).map { row, event in OutboxRow(id: try row.decode(Int64.self, column: "id"), event: event) }
    }

    /// Locks and reads up to `limit` rows older than `olderThan` seconds that no one else holds.
    static func lockPending(limit: Int, olderThan seconds: Double, _ db: isolated PostgresConnection) throws -> [OutboxRow] {
        let rows = try db.query("""
            SELECT id, event_id, event_type, producer, schema_version, delivery_id, causation_id, body::text AS body,
                trace_context::text AS trace_context
            FROM outbox WHERE created_at <= clock_timestamp() - make_interval(secs => $1)
            ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
            """, [.double(seconds), .int(limit)])
        return try rows.map { row in
            OutboxRow(id: try row.decode(Int64.self, column: "id"), event: OutboxEvent(
                eventId: try row.decode(UUID.self, column: "event_id"),
                type: try row.decode(String.self, column: "event_type"),
                producer: try row.decode(String.self, column: "producer"),
                schemaVersion: try row.decode(Int.self, column: "schema_version"),
                deliveryId: try row.decode(UUID.self, column: "delivery_id"),
                causationId: try row.decode(UUID?.self, column: "causation_id"),
                body: try row.decode(String.self, column: "body"),
                trace: TraceCarrier(storedForm: try row.decode(String?.self, column: "trace_context"))))
        }
    }

    private static func int8Array(_ ids: [Int64]) -> PostgresValue {
        PostgresValue(dataType: .int8Array, text: "{" + ids.map(String.init).joined(separator: ",") + "}")
    }

    /// Deletes published rows (deferred: sent with the transaction's COMMIT).
    static func deleteFromOutbox(_ ids: [Int64], _ db: isolated PostgresConnection) throws {
        guard !ids.isEmpty else { return }
        try db.executeDeferred("DELETE FROM outbox WHERE id = ANY($1)", [int8Array(ids)])
    }

    /// Lets the open transaction commit without waiting for its WAL to reach the disk
    /// (`synchronous_commit = off` for this transaction only), for work whose loss in a crash is
    /// harmless; sent with the transaction's next statement.
    static func commitWithoutWaitingForDisk(_ db: isolated PostgresConnection) throws {
        try db.executeDeferred("SET LOCAL synchronous_commit TO off")
    }

    /// How many events wait in the outbox.
    static func outboxBacklog(_ db: isolated PostgresConnection) throws -> Int {
        try db.query("SELECT count(*) AS n FROM outbox", []).first?.decode(Int.self, column: "n") ?? 0
    }

    /// Applies a handler's deadline requests and cancellations (deferred: their results are not
    /// needed, so they travel with the transaction's next statement or its COMMIT instead of a
    /// round trip each).
    static func applyDeadlines(_ context: HandlerContext, _ db: isolated PostgresConnection) throws {
        for request in context.scheduled {
            let onConflict = request.postponing
                ? """
                  DO UPDATE SET fire_at = EXCLUDED.fire_at
                  WHERE deadlines.fired_at IS NULL AND deadlines.cancelled_at IS NULL AND deadlines.fire_at < EXCLUDED.fire_at
                  """
                : "DO NOTHING"
            try db.executeDeferred("""
                INSERT INTO deadlines (name, delivery_id, fire_at, payload, causation_id, trace_context)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name, delivery_id) \(onConflict)
                """, [.text(request.name), .uuid(request.deliveryId), .timestamp(request.fireAt),
                      .jsonb(String(decoding: request.payload.serialized(), as: UTF8.self)), .uuid(context.causationId),
                      .jsonb(request.trace?.storedForm)])
        }
        for name in context.cancelled {
            try db.executeDeferred(
                "UPDATE deadlines SET cancelled_at = clock_timestamp() WHERE name = $1 AND delivery_id = $2 AND fired_at IS NULL",
                [.text(name), .uuid(context.deliveryId)])
        }
    }

    /// Locks up to `limit` due deadlines that no one else holds.
    static func lockDueDeadlines(
        limit: Int, _ db: isolated PostgresConnection
    ) throws -> [(id: Int64, deadline: FiredDeadline, trace: TraceCarrier?)] {
        let rows = try db.query("""
            SELECT id, name, delivery_id, fire_at, payload::text AS payload, causation_id, trace_context::text AS trace_context FROM deadlines
            WHERE fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL AND fire_at <= clock_timestamp()
            ORDER BY fire_at LIMIT $1 FOR UPDATE SKIP LOCKED
            """, [.int(limit)])
        return try rows.map { row in
            (try row.decode(Int64.self, column: "id"), FiredDeadline(
                name: try row.decode(String.self, column: "name"),
                deliveryId: try row.decode(UUID.self, column: "delivery_id"),
                dueAt: try row.decode(Date.self, column: "fire_at"),
                payload: try JSONValue(parsing: try row.decode(String.self, column: "payload")),
                causationId: try row.decode(UUID?.self, column: "causation_id")),
             TraceCarrier(storedForm: try row.decode(String?.self, column: "trace_context")))
        }
    }

    /// Records a failed attempt of a deadline's handler; returns how many attempts failed so far.
    static func recordDeadlineFailure(_ id: Int64, error: String, _ db: isolated PostgresConnection) throws -> Int {
        try db.query(
            "UPDATE deadlines SET attempts = attempts + 1, last_error = $2 WHERE id = $1 RETURNING attempts",
            [.int64(id), .text(String(error.prefix(2000)))]).first?.decode(Int.self, column: "attempts") ?? 0
    }

    /// Puts a deadline whose handler failed back by `delay`.
    static func postpone(_ id: Int64, by delay: Duration, _ db: isolated PostgresConnection) throws {
        _ = try db.execute(
            "UPDATE deadlines SET fire_at = clock_timestamp() + make_interval(secs => $2) WHERE id = $1",
            [.int64(id), .double(Double(delay.milliseconds) / 1000)])
    }

    /// Parks a deadline whose handler failed every attempt: it stays, with its last error, for an operator.
    static func parkDeadline(_ id: Int64, _ db: isolated PostgresConnection) throws {
        _ = try db.execute("UPDATE deadlines SET parked_at = clock_timestamp() WHERE id = $1", [.int64(id)])
    }
}
