import AMQP
import APIAccess
import Choreography
import Contracts
import Foundation
import HistoryService
import IntegrationSupport
import PlainHTTPClient
import Postgres
import ServiceTestSupport
import Testing

/// The history service against the real RabbitMQ and PostgreSQL: every event logged once, the
/// status view the same whatever order events arrive in, and the queries behind the status API.
@Suite("History service: event log, status view, queries")
struct HistoryServiceIntegrationTests {
    @Test("the same events in order, shuffled, and all at once on two instances give the same status")
    func orderIndependentStatus() async throws {
        let bed = try HistoryTestBed()
        let inOrder = try SagaScript.happySaga()
        let shuffled = inOrder.copy(for: UUID())
        let rejectedInOrder = try SagaScript.rejectedSaga()
        let rejectedShuffled = rejectedInOrder.copy(for: UUID())
        var generator = SeededGenerator(seed: 42)
        let reordered = (shuffled.events + rejectedShuffled.events).shuffled(using: &generator)
        try await bed.harness.withRunningService(instances: 2) {
            for event in inOrder.events + rejectedInOrder.events { try await bed.send([event]) }
            try await bed.harness.publishMessages(try reordered.map(bed.message))
            try await waitUntil("every event logged") {
                try await bed.harness.count("SELECT count(*) FROM inbox") == 26
            }
        }
        let statuses = try await bed.withDatabase { db in
            try [inOrder, shuffled, rejectedInOrder, rejectedShuffled].map { script in
                try HistoryQueries.status(deliveryId: script.deliveryId, on: db)
            }
        }
        let happy = try #require(statuses[0])
        #expect(happy.stage == .completed)
        #expect(happy.sagaState == .completed)
        #expect(try apiJSON(happy) == apiJSON(FullLogProjection.project(inOrder.events)))
        var other = try #require(statuses[1])
        other.deliveryId = happy.deliveryId
        #expect(other == happy)
        let rejected = try #require(statuses[2])
        #expect(rejected.stage == .compensated)
        #expect(rejected.reason?.code == "ACCOUNT_SUSPENDED")
        var otherRejected = try #require(statuses[3])
        otherRejected.deliveryId = rejected.deliveryId
        #expect(otherRejected == rejected)
        #expect(try await bed.harness.count("SELECT count(*) FROM events") == 26)
        #expect(try await bed.harness.count("SELECT count(*) FROM delivery_status") == 4)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("every path's events for many deliveries, shuffled and repeated, on two instances at once: each status and stored summary is the full projection's")
    func manyDeliveriesAtOnce() async throws {
        let bed = try HistoryTestBed()
        let scripts = try (0..<3).flatMap { _ in try SagaEventSets.valid().map { $0.script.copy(for: UUID()) } }
        let events = scripts.flatMap(\.events)
        var generator = SeededGenerator(seed: 1_618)
        let messages = try (events + events.shuffled(using: &generator).prefix(events.count / 3)).shuffled(using: &generator).map(bed.message)
        try await bed.harness.withRunningService(instances: 2) {
            try await bed.harness.publishMessages(messages)
            try await waitUntil("every event logged") { try await bed.harness.count("SELECT count(*) FROM inbox") == events.count }
        }
        try await bed.expectFullProjections(of: scripts)
        try await bed.harness.cleanUp()
    }

    @Test("a backlog waiting before the service starts is logged in shared transactions (the batch handler): each status and summary the full projection's")
    func backlogInSharedTransactions() async throws {
        let bed = try HistoryTestBed()
        let scripts = try (0..<2).flatMap { _ in try SagaEventSets.valid().map { $0.script.copy(for: UUID()) } }
        let events = scripts.flatMap(\.events)
        var generator = SeededGenerator(seed: 2_718)
        try await bed.harness.declareTopology()
        try await bed.harness.publishMessages(try events.shuffled(using: &generator).map(bed.message))
        try await bed.harness.withRunningService {
            try await waitUntil("every event logged") { try await bed.harness.count("SELECT count(*) FROM inbox") == events.count }
        }
        #expect(bed.harness.sharedTransactions("committed") > 0)
        try await bed.expectFullProjections(of: scripts)
        try await bed.harness.cleanUp()
    }

    @Test("a status row from before summaries were stored is folded from its log on its next event, then kept incrementally")
    func rowWithoutSummary() async throws {
        let bed = try HistoryTestBed()
        let script = try SagaScript.happySaga()
        try await bed.harness.withRunningService {
            try await bed.send(Array(script.events.prefix(5)))
            // As migration 2 leaves the rows written before it.
            _ = try await bed.harness.query("UPDATE delivery_status SET summary = NULL")
            try await bed.send(Array(script.events.dropFirst(5)))
        }
        let (status, stored) = try await bed.withDatabase { db in
            (
                try HistoryQueries.status(deliveryId: script.deliveryId, on: db),
                try db.query("SELECT summary::text AS summary FROM delivery_status").first?.decode([UInt8].self, column: "summary")
            )
        }
        #expect(status?.stage == .completed)
        #expect(try apiJSON(status) == apiJSON(FullLogProjection.project(script.events)))
        let summary = try DeliveryStatusSummary(stored: JSONValue(parsing: try #require(stored)))
        #expect(summary == DeliveryStatusSummary(folding: script.events))
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("a duplicated event is logged once")
    func duplicateLoggedOnce() async throws {
        let bed = try HistoryTestBed()
        let script = try SagaScript.scheduledSaga()
        try await bed.harness.withRunningService(instances: 2) {
            let messages = try script.events.map(bed.message)
            try await bed.harness.publishMessages(messages + messages + [messages[0], messages[4]])
            // 12 copies of 5 events: every copy settled, 7 of them skipped as duplicates.
            try await waitUntil("5 events logged and 7 duplicates skipped") {
                bed.harness.eventsHandled == 5 && bed.harness.duplicatesSkipped == 7
            }
        }
        #expect(try await bed.harness.count("SELECT count(*) FROM events") == 5)
        #expect(try await bed.harness.count("SELECT count(DISTINCT event_id) FROM events WHERE delivery_id = $1", [.uuid(script.deliveryId)]) == 5)
        let (status, timeline) = try await bed.withDatabase { db in
            (try HistoryQueries.status(deliveryId: script.deliveryId, on: db), try HistoryQueries.timeline(deliveryId: script.deliveryId, on: db))
        }
        #expect(status?.stage == .headedToPickup)
        #expect(timeline?.count == 5)
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("the queries: nil for an unknown delivery; the timeline in recorded order with payloads and causation")
    func queries() async throws {
        let bed = try HistoryTestBed()
        let script = try SagaScript.scheduledSaga()
        let recordedOrder = [0, 2, 1, 4, 3].map { script.events[$0] }
        try await bed.harness.withRunningService {
            for event in recordedOrder { try await bed.send([event]) }
        }
        let unknown = UUID()
        let (missingStatus, missingTimeline, status, timeline, document) = try await bed.withDatabase { db in
            (
                try HistoryQueries.status(deliveryId: unknown, on: db), try HistoryQueries.timeline(deliveryId: unknown, on: db),
                try HistoryQueries.status(deliveryId: script.deliveryId, on: db),
                try HistoryQueries.timeline(deliveryId: script.deliveryId, on: db),
                try HistoryQueries.timelineDocument(deliveryId: script.deliveryId, on: db)
            )
        }
        #expect(missingStatus == nil)
        #expect(missingTimeline == nil)
        #expect(try apiJSON(status) == apiJSON(FullLogProjection.project(script.events)))
        let entries = try #require(timeline)
        #expect(entries.map(\.eventId) == recordedOrder.map(\.id))
        for (entry, event) in zip(entries, recordedOrder) {
            #expect(entry.type == event.type.rawValue)
            #expect(entry.version == event.version)
            #expect(entry.producer == event.producer.rawValue)
            #expect(RFC3339.string(from: entry.occurredAt) == RFC3339.string(from: event.occurredAt))
            #expect(entry.causationId == event.causationId)
            #expect(entry.data == event.data)
        }
        #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.recordedAt <= $1.recordedAt })
        #expect(document == DeliveryTimeline(deliveryId: script.deliveryId, events: entries))
        let json = try JSONValue(parsing: try EventCoding.makeEncoder().encode(try #require(document)))
        let first = try #require(json["events"]?[0])
        #expect(first["causationId"] == .null)
        #expect(first["recordedAt"]?.stringValue.map(RFC3339.isValid) == true)
        #expect(first["data"]?["ownerId"] == "acct-active-001")
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("the HTTP routes: status and timeline as JSON, 404 problem for an unknown delivery, 400 for a bad id")
    func routes() async throws {
        let port = freePort()
        var bed = try HistoryTestBed(httpPort: port)
        bed.harness.routes = { router, database in HistoryRoutes.register(on: router, database: database) }
        let script = try SagaScript.rejectedSaga()
        let client = PlainHTTPClient(port: port, headers: [bearer(try await bed.harness.issueAPIKey(.operator).key)])
        try await bed.harness.withRunningService { [bed] in
            try await bed.send(script.events)
            try await waitUntil("the HTTP server") { (try? await client.get("/health/ready"))?.status == 200 }
            let id = script.deliveryId.uuidString.lowercased()

            let status = try await client.get("/api/deliveries/\(id)")
            #expect(status.status == 200)
            #expect(status.header("Content-Type")?.hasPrefix("application/json") == true)
            let statusJSON = try JSONValue(parsing: status.body)
            #expect(statusJSON == (try apiJSON(FullLogProjection.project(script.events))))
            #expect(statusJSON["deliveryId"] == .string(id))
            #expect(statusJSON["stage"] == "Compensated")

            let events = try await client.get("/api/deliveries/\(script.deliveryId.uuidString)/events")
            #expect(events.status == 200)
            let timeline = try EventCoding.makeDecoder().decode(DeliveryTimeline.self, from: Data(events.body))
            #expect(timeline.deliveryId == script.deliveryId)
            #expect(Set(timeline.events.map(\.eventId)) == Set(script.events.map(\.id)))
            #expect(timeline.events.count == script.events.count)

            for path in ["/api/deliveries/\(UUID().uuidString)", "/api/deliveries/\(UUID().uuidString)/events"] {
                let missing = try await client.get(path)
                #expect(missing.status == 404)
                #expect(missing.header("Content-Type") == "application/problem+json")
                let problem = try JSONValue(parsing: missing.body)
                #expect(problem["status"] == 404)
                #expect(problem["type"] == "https://fabrikam.example/problems/not-found")
            }
            for path in ["/api/deliveries/not-a-uuid", "/api/deliveries/1234/events"] {
                let bad = try await client.get(path)
                #expect(bad.status == 400)
                #expect(bad.header("Content-Type") == "application/problem+json")
            }
        }
        #expect(try await bed.harness.parkedCount() == 0)
        try await bed.harness.cleanUp()
    }

    @Test("access: 401 without a valid key; a customer sees only its own deliveries (another owner's is the 404 of an unknown id); an operator sees all")
    func access() async throws {
        let port = freePort()
        var bed = try HistoryTestBed(httpPort: port)
        bed.harness.routes = { router, database in HistoryRoutes.register(on: router, database: database) }
        let script = try SagaScript.happySaga()
        let owner = try #require(FullLogProjection.project(script.events)?.ownerId)
        let keys = (
            operatorKey: try await bed.harness.issueAPIKey(.operator).key, owner: try await bed.harness.issueAPIKey(.customer(ownerId: owner)).key,
            other: try await bed.harness.issueAPIKey(.customer(ownerId: "acct-other-999")), revoked: try await bed.harness.issueAPIKey(.operator))
        try await bed.harness.revokeAPIKey(keys.revoked.id)
        try await bed.harness.withRunningService { [bed] in
            try await bed.send(script.events)
            let anonymous = PlainHTTPClient(port: port)
            try await waitUntil("the HTTP server") { (try? await anonymous.get("/health/ready"))?.status == 200 }
            let id = script.deliveryId.uuidString.lowercased()
            let unknownId = UUID().uuidString.lowercased()
            for path in ["/api/deliveries/\(id)", "/api/deliveries/\(id)/events"] {
                for headers in [[], [bearer("fdk_short")], [bearer(APIKeySecret.generate())], [bearer(keys.revoked.key)]] {
                    let refused = try await anonymous.get(path, headers: headers)
                    #expect(refused.status == 401, "\(path) \(headers.map(\.1))")
                    #expect(refused.header("WWW-Authenticate") == "Bearer")
                    #expect(refused.header("Content-Type") == "application/problem+json")
                }
                for key in [keys.operatorKey, keys.owner] {
                    #expect(try await anonymous.get(path, headers: [bearer(key)]).status == 200, "\(path)")
                }
                let hidden = try await anonymous.get(path, headers: [bearer(keys.other.key)])
                let unknown = try await anonymous.get(path.replacingOccurrences(of: id, with: unknownId), headers: [bearer(keys.other.key)])
                #expect(hidden.status == 404 && unknown.status == 404)
                #expect(hidden.text.replacingOccurrences(of: id, with: unknownId) == unknown.text)
            }
            #expect(try await anonymous.get("/health/live").status == 200)
        }
        try await bed.harness.cleanUp()
    }
}

/// A value as the API shows it (dates to the millisecond).
func apiJSON(_ value: (some Encodable)?) throws -> JSONValue {
    guard let value else { return .null }
    return try JSONValue(parsing: try EventCoding.makeEncoder().encode(value))
}

/// One history service under test.
struct HistoryTestBed {
    var harness: ServiceHarness

    /// A history service; with `httpPort`, its HTTP server listens there (set `harness.routes`).
    init(httpPort: Int? = nil) throws {
        harness = try ServiceHarness({ name, schema in try HistoryService.definition(name: name, schema: schema) }) {
            $0.httpPort = httpPort
        }
    }

    /// The message for a scripted event, as its producer would publish it.
    func message(_ event: AnyEventEnvelope) throws -> AMQPOutgoingMessage {
        guard let type = EventCatalog.payloadType(for: event.type) else { throw HarnessError("unknown type \(event.type)") }
        return try message(event, as: type)
    }

    private func message<Event: DomainEvent>(_ event: AnyEventEnvelope, as type: Event.Type) throws -> AMQPOutgoingMessage {
        try EventMessage.make(
            try event.payload(as: type), id: event.id, deliveryId: event.deliveryId, causationId: event.causationId,
            exchange: harness.exchange, occurredAt: event.occurredAt)
    }

    /// Publishes the events and waits until all are logged.
    func send(_ events: [AnyEventEnvelope]) async throws {
        try await harness.publishMessages(try events.map(message))
        try await waitUntil("events logged") {
            try await harness.count("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", [.uuidArray(events.map(\.id))]) == events.count
        }
    }

    /// Expects each script's status and stored summary to be its whole log's projection, every
    /// event logged once, and nothing parked.
    func expectFullProjections(of scripts: [SagaScript], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let rows = try await withDatabase { db in
            try scripts.map { script in
                (
                    try HistoryQueries.status(deliveryId: script.deliveryId, on: db),
                    try db.query("SELECT summary::text AS summary FROM delivery_status WHERE delivery_id = $1", [.uuid(script.deliveryId)])
                        .first?.decode([UInt8].self, column: "summary")
                )
            }
        }
        for (script, (status, stored)) in zip(scripts, rows) {
            #expect(try apiJSON(status) == apiJSON(FullLogProjection.project(script.events)), sourceLocation: sourceLocation)
            let summary = try DeliveryStatusSummary(stored: JSONValue(parsing: try #require(stored, sourceLocation: sourceLocation)))
            #expect(summary == DeliveryStatusSummary(folding: script.events), sourceLocation: sourceLocation)
        }
        #expect(try await harness.count("SELECT count(*) FROM events") == scripts.flatMap(\.events).count, sourceLocation: sourceLocation)
        #expect(try await harness.parkedCount() == 0, sourceLocation: sourceLocation)
    }

    /// Runs `body` on a connection whose search path is the service's schema.
    func withDatabase<Value: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> Value) async throws -> Value {
        let connection = try await harness.connectToSchema()
        let value = try await connection.withIsolation { db in try body(db) }
        await connection.close()
        return value
    }
}
