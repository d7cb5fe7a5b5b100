import AMQP
import APIAccess
import Choreography
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import NIOCore
import Postgres
import SagaExplorer
import SagaInspect
import Testing

/// Runs `body` with an explorer over a scratch database holding the minimal schemas, and a
/// router-mode client for its routes.
func withExplorer(
    amqpURL: String? = nil, queuePrefix: String = "", _ body: @Sendable (PostgresConnection, any TestClientProtocol) async throws -> Void
) async throws {
    try await ScratchDatabase.with { scratch, db in
        try await db.simpleQuery(MinimalSchemas.partial + MinimalSchemas.rest)
        let pool = PostgresConnectionPool(url: scratch.url, maximumConnections: 2)
        let explorer = SagaExplorer(database: pool, amqpURL: amqpURL, queuePrefix: queuePrefix, stuckAfter: 300, pollInterval: .milliseconds(50))
        let app = Application(router: ExplorerRoutes.router(explorer))
        do {
            try await app.test(.router) { client in try await body(db, client) }
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}

/// A GET's status and body text.
func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (status: HTTPResponse.Status, body: String) {
    try await client.execute(uri: uri, method: .get) { response in (response.status, String(buffer: response.body)) }
}

/// How many times `needle` occurs in `text`.
func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

@Suite("Saga explorer routes against the real PostgreSQL")
struct ExplorerRouteTests {
    @Test("the list shows every saga newest first with counts per verdict, filters by verdict, stage, owner and id, and pages")
    func list() async throws {
        try await withExplorer { db, client in
            var rejected = SagaRows()
            try await rejected.writeRejectedSaga(db)
            var stuck = SagaRows()
            try await stuck.writeStuckRequest(db)
            let rejectedId = rejected.deliveryId.uuidString.lowercased()
            let stuckId = stuck.deliveryId.uuidString.lowercased()

            let all = try await get(client, "/")
            #expect(all.status == .ok)
            #expect(all.body.contains("data-delivery-id=\"\(rejectedId)\" data-verdict=\"compensated\""))
            #expect(all.body.contains("data-delivery-id=\"\(stuckId)\" data-verdict=\"inflight\""))
            #expect(all.body.range(of: rejectedId)!.lowerBound < all.body.range(of: "data-delivery-id=\"\(stuckId)\"")!.lowerBound)
            #expect(all.body.contains("<strong data-count=\"all\">2</strong>"))
            #expect(all.body.contains("<strong data-count=\"compensated\">1</strong>"))
            #expect(all.body.contains("<strong data-count=\"inflight\">1</strong>"))

            let compensated = try await get(client, "/?verdict=compensated")
            #expect(compensated.body.contains(rejectedId) && !compensated.body.contains(stuckId))
            #expect(compensated.body.contains("<strong data-count=\"all\">2</strong>"))  // counts ignore the verdict filter
            let analysedStuck = try await get(client, "/?verdict=stuck")
            #expect(analysedStuck.body.contains("data-delivery-id=\"\(stuckId)\" data-verdict=\"stuck\"") && !analysedStuck.body.contains("data-delivery-id=\"\(rejectedId)\""))
            #expect(analysedStuck.body.contains("waiting on account"))
            #expect(analysedStuck.body.contains("2 examined for this page, 1 found, none left to examine."))

            // A search examines at most its budget, and its next page continues after the last saga examined.
            var index = SagaIndex(stuckAfter: 300)
            index.analysisBudget = 1
            var search = try SagaListFilter.parse(["verdict": "stuck"])
            let firstSearch = try await index.page(search, database: db)
            #expect(firstSearch.rows.isEmpty && firstSearch.examined == 1 && firstSearch.next?.deliveryId == rejected.deliveryId)
            search.after = firstSearch.next
            let secondSearch = try await index.page(search, database: db)
            #expect(secondSearch.rows.map(\.deliveryId) == [stuck.deliveryId] && secondSearch.examined == 1)
            #expect(try await get(client, "/?verdict=inconsistent").body.contains("No sagas match."))
            let byStage = try await get(client, "/?stage=Created")
            #expect(byStage.body.contains(stuckId) && !byStage.body.contains("data-delivery-id=\"\(rejectedId)\""))
            let byOwner = try await get(client, "/?owner=acct-suspended-002")
            #expect(byOwner.body.contains("data-delivery-id=\"\(rejectedId)\"") && !byOwner.body.contains("data-delivery-id=\"\(stuckId)\""))
            let byPrefix = try await get(client, "/?q=\(rejectedId.prefix(6))")
            #expect(byPrefix.body.contains("data-delivery-id=\"\(rejectedId)\""))
            let byWholeId = try await get(client, "/?q=\(stuckId.uppercased())")
            #expect(byWholeId.body.contains("data-delivery-id=\"\(stuckId)\"") && !byWholeId.body.contains("data-delivery-id=\"\(rejectedId)\""))
            #expect(try await get(client, "/?since=1s").body.contains("No sagas match."))

            // The page checked against every schema: the analysis tells rejected (and stuck) apart.
            let analysed = try await get(client, "/?analyse=1")
            #expect(analysed.body.contains("data-delivery-id=\"\(rejectedId)\" data-verdict=\"rejected\" data-analysed=\"true\""))
            #expect(analysed.body.contains("data-delivery-id=\"\(stuckId)\" data-verdict=\"stuck\" data-analysed=\"true\""))
            #expect(all.body.contains("href=\"/?analyse=1\""))

            // Two pages of one.
            let first = try await get(client, "/?limit=1")
            #expect(first.body.contains(rejectedId) && first.body.contains("rel=\"next\""))
            let href = try #require(first.body.firstMatch(of: /rel="next" href="\/([^"]*)"/)).1.replacingOccurrences(of: "&amp;", with: "&")
            let second = try await get(client, "/" + href)
            #expect(second.body.contains("data-delivery-id=\"\(stuckId)\"") && !second.body.contains("data-delivery-id=\"\(rejectedId)\""))
            #expect(!second.body.contains("rel=\"next\""))
        }
    }

    @Test("bad filters are 400 pages that say why, with what was typed escaped")
    func badFilters() async throws {
        try await withExplorer { _, client in
            let verdict = try await get(client, "/?verdict=%3Cscript%3E")
            #expect(verdict.status == .badRequest)
            #expect(verdict.body.contains("&lt;script&gt;") && !verdict.body.contains("<script>"))
            #expect(try await get(client, "/?stage=Flying").status == .badRequest)
            #expect(try await get(client, "/?since=yesterday").status == .badRequest)
            #expect(try await get(client, "/?q=not+an+id").status == .badRequest)
            #expect(try await get(client, "/?after=nonsense").status == .badRequest)
            #expect(try await get(client, "/?limit=0").status == .badRequest)
            #expect(try await get(client, "/?analyse=yes").status == .badRequest)
            #expect(try await get(client, "/stats?since=never").status == .badRequest)
        }
    }

    @Test("a saga page has the verdict, one diagram node per event with compensations marked, a text alternative, the timeline and the evidence")
    func sagaPage() async throws {
        try await withExplorer { db, client in
            var rejected = SagaRows()
            try await rejected.writeRejectedSaga(db)
            let page = try await get(client, "/sagas/\(rejected.deliveryId.uuidString.lowercased())")
            #expect(page.status == .ok)
            #expect(page.body.contains("id=\"verdict\" data-state=\"rejected\" data-final=\"true\">REJECTED</strong>"))
            #expect(occurrences(of: "<g class=\"event", in: page.body) == 6)
            #expect(occurrences(of: "<g class=\"event compensation\"", in: page.body) == 2)
            #expect(occurrences(of: "<g class=\"lane\"", in: page.body) == SagaContract.services.count)
            #expect(page.body.contains("<title id=\"diagram-title\">") && page.body.contains("<desc id=\"diagram-desc\">1. delivery.requested by ingestion at +0.000s"))
            #expect(page.body.contains("<table class=\"timeline\">"))
            #expect(page.body.contains("ACCOUNT_SUSPENDED"))
            #expect(page.body.contains("data-service=\"account\"><h3>account</h3><p>State: decision rejected (ACCOUNT_SUSPENDED)"))
            #expect(!page.body.contains("<script>"))  // final: nothing to follow
        }
    }

    @Test("an in-flight saga's page follows its event stream, which pushes the final verdict and ends")
    func liveUpdates() async throws {
        try await withExplorer { db, client in
            var saga = SagaRows()
            try await saga.log("delivery.requested", at: 0, handledBy: ["account", "package", "history"], db)
            let id = saga.deliveryId.uuidString.lowercased()
            let page = try await get(client, "/sagas/\(id)")
            #expect(page.body.contains("data-state=\"inFlight\""))
            #expect(page.body.contains("new EventSource("))

            // The stream runs until the verdict is final: make it final while it polls.
            async let streamed = get(client, "/sagas/\(id)/events-stream")
            try await saga.completeRejection(db)
            let stream = try await streamed
            #expect(stream.status == .ok)
            #expect(stream.body.hasPrefix("retry: 2000\n\n"))
            #expect(stream.body.contains("event: final\ndata: "))
            #expect(stream.body.contains("data-state=\"rejected\""))
            #expect(stream.body.hasSuffix("\n\n"))
        }
    }

    @Test("an unknown delivery is a 404 page, a malformed id a 400 page")
    func unknownAndMalformed() async throws {
        try await withExplorer { _, client in
            let unknown = UUID().uuidString.lowercased()
            let missing = try await get(client, "/sagas/\(unknown)")
            #expect(missing.status == .notFound)
            #expect(missing.body.contains("No delivery \(unknown) in any service&#39;s schema."))
            let malformed = try await get(client, "/sagas/%3Cb%3Enot-an-id")
            #expect(malformed.status == .badRequest)
            #expect(!malformed.body.contains("<b>not-an-id"))
            #expect(try await get(client, "/sagas/nope/events-stream").status == .badRequest)
        }
    }

    @Test("stats draws outcomes, durations, reasons and parked messages as SVG")
    func stats() async throws {
        try await withExplorer { db, client in
            var rejected = SagaRows()
            try await rejected.writeRejectedSaga(db)
            let stats = try await get(client, "/stats")
            #expect(stats.status == .ok)
            #expect(occurrences(of: "<svg class=\"chart\"", in: stats.body) == 4)
            #expect(stats.body.contains("1 ended sagas: p50"))
            #expect(stats.body.contains("<th scope=\"row\">ACCOUNT_SUSPENDED</th><td>1</td>"))
        }
    }

    @Test("parked messages are listed with reasons; a replay asks first, refuses other origins and anyone but a live operator key, then sends the message back")
    func parkedAndReplay() async throws {
        let amqpURL = try TestServers.amqpURL()
        let prefix = "ex-\(UUID().uuidString.prefix(8).lowercased())-"
        let broker = try await AMQPConnection.connect(url: amqpURL)
        _ = try await broker.declareQueue(prefix + "package.parked")
        _ = try await broker.declareQueue(prefix + "package.events")
        let messageId = UUID().uuidString.lowercased()
        let deliveryId = UUID().uuidString.lowercased()
        _ = try await broker.publish(AMQPOutgoingMessage(
            exchange: "", routingKey: prefix + "package.parked", body: Array("{}".utf8),
            properties: AMQPProperties(
                headers: [MessageHeaders.parkedReason: "retries-exhausted", MessageHeaders.lastError: "boom <b>"], correlationId: deliveryId,
                messageId: messageId, type: "delivery.requested")))
        do {
            try await withExplorer(amqpURL: amqpURL, queuePrefix: prefix) { db, client in
                let parked = try await get(client, "/parked")
                #expect(parked.status == .ok)
                #expect(parked.body.contains("<strong>retries-exhausted</strong>"))
                #expect(parked.body.contains("boom &lt;b&gt;"))
                #expect(parked.body.contains("queue \(prefix)account.parked does not exist"))
                let confirm = try await get(client, "/parked/replay?service=package&id=\(messageId)")
                #expect(confirm.body.contains("<form method=\"post\" action=\"/parked/replay\">"))
                #expect(try await get(client, "/parked/replay?service=nobody&id=x").status == .badRequest)

                // Only an operator's live key replays: none, a customer's, or a made-up one is refused.
                let (operatorKey, customerKey) = try await db.withIsolation { db in
                    try APIAccessSchema.prepare(on: db)
                    return (try APIKeyStore.issue(.operator, on: db).key, try APIKeyStore.issue(.customer(ownerId: "acct-active-001"), on: db).key)
                }
                for key in ["", customerKey, "fdk_not-a-key"] {
                    let refused = try await client.execute(
                        uri: "/parked/replay", method: .post, body: ByteBuffer(string: "service=package&id=\(messageId)&confirm=yes&api_key=\(key)")
                    ) { $0.status }
                    #expect(refused == .forbidden, "key '\(key.prefix(8))'")
                }
                #expect(try await broker.inspectQueue(prefix + "package.parked").messageCount == 1)

                let form = ByteBuffer(string: "service=package&id=\(messageId)&confirm=yes&api_key=\(operatorKey)")
                let foreign = try await client.execute(uri: "/parked/replay", method: .post, headers: [.origin: "http://evil.example"], body: form) { $0.status }
                #expect(foreign == .forbidden)
                let unconfirmed = try await client.execute(uri: "/parked/replay", method: .post, body: ByteBuffer(string: "service=package&id=\(messageId)")) { $0.status }
                #expect(unconfirmed == .badRequest)
                let replayed = try await client.execute(uri: "/parked/replay", method: .post, body: form) { ($0.status, String(buffer: $0.body)) }
                #expect(replayed.0 == .ok)
                #expect(replayed.1.contains("Sent <span class=\"id\">\(messageId)</span> back"))
            }
            #expect(try await broker.inspectQueue(prefix + "package.events").messageCount == 1)
            #expect(try await broker.inspectQueue(prefix + "package.parked").messageCount == 0)
        } catch {
            _ = try? await broker.deleteQueue(prefix + "package.parked")
            _ = try? await broker.deleteQueue(prefix + "package.events")
            await broker.close()
            throw error
        }
        _ = try await broker.deleteQueue(prefix + "package.parked")
        _ = try await broker.deleteQueue(prefix + "package.events")
        await broker.close()
    }
}

extension SagaRows {
    /// After `delivery.requested` alone: the account rejects and the package service, which had
    /// created nothing yet, records the outcome; history marks it rejected.
    mutating func completeRejection(_ db: PostgresConnection) async throws {
        try await log("account.rejected", at: 0.040, causedBy: "delivery.requested", data: Self.reason("ACCOUNT_SUSPENDED"),
                      handledBy: ["package", "drone", "delivery", "history"], db)
        try await db.execute(
            "INSERT INTO account.decisions (delivery_id, owner_id, outcome, reason_code) VALUES ($1, 'acct-suspended-002', 'rejected', 'ACCOUNT_SUSPENDED')",
            [.uuid(deliveryId)])
        try await db.execute("""
            INSERT INTO history.delivery_status (delivery_id, stage, saga_state, owner_id, reason_code, last_event_type, created_at, updated_at)
            VALUES ($1, 'Rejected', 'rejected', 'acct-suspended-002', 'ACCOUNT_SUSPENDED', 'account.rejected', $2, $3)
            """, [.uuid(deliveryId), .timestamp(start), .timestamp(start.addingTimeInterval(0.04))])
    }
}
