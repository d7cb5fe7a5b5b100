import APIAccess
import Choreography
import Contracts
import Foundation
import IngestionService
import PlainHTTPClient
import Postgres
import ServiceHTTP
import ServiceTestSupport
import Testing

/// A valid request body (the OpenAPI example), with changes.
func requestBody(owner: String = "acct-active-001", weightKg: Double = 1.2, deadline: String = "2026-05-01T11:00:00Z") -> [UInt8] {
    Array("""
        {"ownerId":"\(owner)","pickupLocation":{"latitude":47.6205,"longitude":-122.3493},
         "dropoffLocation":{"latitude":47.6097,"longitude":-122.3331},"pickupTime":"2026-05-01T09:30:00Z",
         "deadline":"\(deadline)","expedited":false,"confirmationRequired":"None",
         "packageInfo":{"size":"small","weightKg":\(weightKg),"tag":"order-1001"}}
        """.utf8)
}

@Suite("Ingestion: request validation (no I/O)")
struct DeliveryRequestValidationTests {
    let validation = try! DeliveryRequestValidation()

    @Test("the OpenAPI example is accepted and decoded")
    func accepted() throws {
        let accepted = try validation.validate(requestBody()).get()
        #expect(accepted.request.ownerId == "acct-active-001")
        #expect(accepted.request.packageInfo.weightKg == 1.2)
    }

    @Test("a body that is not JSON is a 400 with the parser's reason")
    func notJSON() {
        guard case .failure(let problem) = validation.validate(Array("{\"ownerId\": ".utf8)) else {
            Issue.record("accepted a truncated body")
            return
        }
        #expect(problem.status == 400)
        #expect(problem.detail?.hasPrefix("not JSON") == true)
    }

    @Test("every invalid field is listed with its JSON pointer, 422")
    func everyInvalidField() {
        let body = Array("""
            {"ownerId":"","pickupLocation":{"latitude":91,"longitude":-122.3},
             "dropoffLocation":{"latitude":47.6,"longitude":-122.3},"pickupTime":"yesterday",
             "expedited":"no","confirmationRequired":"Smell",
             "packageInfo":{"size":"huge","weightKg":1,"tag":"x"}}
            """.utf8)
        guard case .failure(let problem) = validation.validate(body) else {
            Issue.record("accepted an invalid body")
            return
        }
        #expect(problem.status == 422)
        let pointers = Set(problem.errors?.map(\.pointer) ?? [])
        for pointer in ["/ownerId", "/pickupLocation/latitude", "/pickupTime", "/expedited", "/confirmationRequired", "/packageInfo/size"] {
            #expect(pointers.contains(pointer), "missing \(pointer) in \(pointers)")
        }
        #expect(problem.errors?.contains { $0.keyword == "required" } == true, "the missing deadline is reported")
    }

    @Test("a body with a duplicate member is a 400: the validator and the decoder never see two documents")
    func duplicateMember() {
        var body = String(decoding: requestBody(owner: "acct-suspended-002"), as: UTF8.self)
        body.removeLast()
        body += #","ownerId":"acct-active-001"}"#
        guard case .failure(let problem) = validation.validate(Array(body.utf8)) else {
            Issue.record("accepted a body with two ownerIds")
            return
        }
        #expect(problem.status == 400)
        #expect(problem.detail?.contains("duplicate member name \"ownerId\"") == true)
    }

    @Test("a time whose UTC form leaves the schema's range is refused (422), not emitted to be parked by every consumer")
    func emittedFormIsValidated() {
        var body = String(decoding: requestBody(deadline: "9999-12-31T23:00:00-05:00"), as: UTF8.self)
        body = body.replacingOccurrences(of: "2026-05-01T09:30:00Z", with: "9999-12-31T22:00:00-05:00")
        guard case .failure(let problem) = validation.validate(Array(body.utf8)) else {
            Issue.record("accepted times that encode as year 10000")
            return
        }
        #expect(problem.status == 422)
        #expect(Set(problem.errors?.map(\.pointer) ?? []) == ["/pickupTime", "/deadline"], "\(problem.errors ?? [])")
    }

    @Test("a pickup beyond the booking horizon is refused on /pickupTime (clock injected)")
    func bookingHorizon() throws {
        let day: TimeInterval = 86_400
        let pickup = try #require(ISO8601DateFormatter().date(from: "2026-05-01T09:30:00Z"))
        let early = try DeliveryRequestValidation(bookingHorizon: 30 * day) { pickup.addingTimeInterval(-31 * day) }
        guard case .failure(let problem) = early.validate(requestBody()) else {
            Issue.record("accepted a pickup 31 days ahead with a 30-day horizon")
            return
        }
        #expect(problem.status == 422)
        #expect(problem.errors?.map(\.pointer) == ["/pickupTime"])
        let inTime = try DeliveryRequestValidation(bookingHorizon: 30 * day) { pickup.addingTimeInterval(-29 * day) }
        #expect(throws: Never.self) { try inTime.validate(requestBody()).get() }
    }

    @Test("a deadline before the pickup time is refused on /deadline")
    func deadlineBeforePickup() {
        guard case .failure(let problem) = validation.validate(requestBody(deadline: "2026-05-01T09:00:00Z")) else {
            Issue.record("accepted a deadline before the pickup")
            return
        }
        #expect(problem.errors?.map(\.pointer) == ["/deadline"])
    }
}

@Suite("Ingestion: the command API against RabbitMQ and PostgreSQL", .serialized)
struct IngestionAPITests {
    /// Runs the ingestion service with its routes on a free port; `body` gets a client with an operator's key.
    func withIngestion(_ body: @escaping @Sendable (ServiceHarness, PlainHTTPClient, String) async throws -> Void) async throws {
        let port = freePort()
        var harness = try ServiceHarness({ name, schema in try IngestionService.definition(name: name, schema: schema) }) {
            $0.httpPort = port
        }
        harness.routes = { router, database in try IngestionRoutes.register(on: router, database: database) }
        let capture = try await harness.captureQueue(["delivery.#"])
        let client = PlainHTTPClient(port: port, headers: [bearer(try await harness.issueAPIKey(.operator).key)])
        try await harness.withRunningService { [harness] in
            try await waitUntil("the HTTP server") { (try? await client.get("/health/ready"))?.status == 200 }
            try await body(harness, client, capture)
        }
        try await harness.cleanUp()
    }

    @Test("POST answers 202 with the id and status URL, stores the request and publishes delivery.requested")
    func acceptedAndPublished() async throws {
        try await withIngestion { harness, client, capture in
            let response = try await client.post("/api/deliveries", json: requestBody())
            #expect(response.status == 202)
            let answer = try JSONDecoder().decode([String: String].self, from: Data(response.body))
            let id = try #require(answer["deliveryId"].flatMap(UUID.init(uuidString:)))
            #expect(answer["status"] == "accepted")
            #expect(answer["statusUrl"] == "/api/deliveries/\(id.uuidString.lowercased())")
            #expect(response.header("Location") == answer["statusUrl"])
            #expect(try await harness.count("SELECT count(*) FROM requests WHERE delivery_id = $1", [.uuid(id)]) == 1)
            let events = try await harness.drain(capture, expecting: 1)
            #expect(events.map(\.type) == [.deliveryRequested])
            #expect(events.first?.deliveryId == id)
            let payload = try #require(try events.first?.payload(as: DeliveryRequested.self))
            #expect(payload.ownerId == "acct-active-001")
            #expect(try await harness.parkedCount() == 0)
        }
    }

    @Test("the same request twice with one Idempotency-Key: one delivery, one event; another body with the key: 409")
    func idempotencyKey() async throws {
        try await withIngestion { harness, client, capture in
            let key = [("Idempotency-Key", "order-\(UUID().uuidString)")]
            let first = try await client.post("/api/deliveries", json: requestBody(), headers: key)
            let second = try await client.post("/api/deliveries", json: requestBody(), headers: key)
            #expect(first.status == 202)
            #expect(second.status == 202)
            #expect(second.header("Idempotency-Replayed") == "true")
            #expect(first.text == second.text)
            let conflict = try await client.post("/api/deliveries", json: requestBody(weightKg: 1.5), headers: key)
            #expect(conflict.status == 409)
            #expect(conflict.header("Content-Type") == "application/problem+json")
            #expect(try await harness.count("SELECT count(*) FROM requests") == 1)
            #expect(try await harness.drain(capture, expecting: 1).count == 1)
        }
    }

    @Test("an Idempotency-Key is the owner's: another owner's request with the same key is its own delivery, never a 409")
    func idempotencyKeyPerOwner() async throws {
        try await withIngestion { harness, client, capture in
            let key = [("Idempotency-Key", "order-1001")]
            let first = try await client.post("/api/deliveries", json: requestBody(), headers: key)
            let other = try await client.post("/api/deliveries", json: requestBody(owner: "acct-near-limit-003"), headers: key)
            let replay = try await client.post("/api/deliveries", json: requestBody(), headers: key)
            #expect(first.status == 202 && other.status == 202 && replay.status == 202)
            #expect(other.header("Idempotency-Replayed") == nil && replay.header("Idempotency-Replayed") == "true")
            #expect(first.text != other.text && first.text == replay.text)
            #expect(try await harness.count("SELECT count(*) FROM requests") == 2)
            #expect(try await harness.drain(capture, expecting: 2).count == 2)
        }
    }

    @Test("concurrent retries with one Idempotency-Key start one delivery")
    func concurrentRetries() async throws {
        try await withIngestion { harness, client, _ in
            let key = [("Idempotency-Key", "race-\(UUID().uuidString)")]
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { try await client.post("/api/deliveries", json: requestBody(), headers: key).text } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(answers).count == 1)
            #expect(try await harness.count("SELECT count(*) FROM requests") == 1)
        }
    }

    @Test("bad input: 400 not JSON, 422 invalid fields, 413 too large, 415 wrong type, 400 bad key — nothing stored")
    func badInput() async throws {
        try await withIngestion { harness, client, _ in
            let notJSON = try await client.post("/api/deliveries", json: Array("{oops".utf8))
            #expect(notJSON.status == 400)
            #expect(notJSON.text.contains("not JSON"))
            let invalid = try await client.post("/api/deliveries", json: requestBody(weightKg: -1))
            #expect(invalid.status == 422)
            #expect(invalid.text.contains("/packageInfo/weightKg"))
            let large = try await client.post("/api/deliveries", json: Array(repeating: UInt8(ascii: " "), count: 20_000) + requestBody())
            #expect(large.status == 413)
            let text = try await client.request("POST", "/api/deliveries", headers: [("Content-Type", "text/plain")], body: requestBody())
            #expect(text.status == 415)
            for almostJSON in ["application/jsonx", "application/json-patch+json", "application/json5"] {
                let answer = try await client.request("POST", "/api/deliveries", headers: [("Content-Type", almostJSON)], body: requestBody())
                #expect(answer.status == 415, "\(almostJSON)")
            }
            // A canonically equivalent member name (Kelvin sign for K) is not the declared one.
            let kelvin = String(decoding: requestBody(), as: UTF8.self).replacingOccurrences(of: "weightKg", with: "weight\\u212Ag")
            let notWeightKg = try await client.post("/api/deliveries", json: Array(kelvin.utf8))
            #expect(notWeightKg.status == 422, "\(notWeightKg.text)")
            let badKey = try await client.post("/api/deliveries", json: requestBody(), headers: [("Idempotency-Key", "has space")])
            #expect(badKey.status == 400)
            #expect(try await harness.count("SELECT count(*) FROM requests") == 0)
        }
    }

    @Test("a method a path does not serve: 405 with Allow; an unknown path: 404; both problem+json; health bodies follow the OpenAPI Health schema")
    func unroutedRequestsAndHealth() async throws {
        try await withIngestion { _, client, _ in
            for (method, path, allow) in [
                ("GET", "/api/deliveries", "POST"), ("PUT", "/api/deliveries", "POST"),
                ("GET", "/api/deliveries/\(UUID().uuidString)", "DELETE"), ("POST", "/health/ready", "GET"),
            ] {
                let answer = try await client.request(method, path)
                #expect(answer.status == 405, "\(method) \(path)")
                #expect(answer.header("Allow") == allow)
                #expect(answer.header("Content-Type") == "application/problem+json")
            }
            let unknown = try await client.get("/api/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.header("Content-Type") == "application/problem+json")
            #expect(unknown.text.contains("not-found"))
            let live = try await client.get("/health/live")
            #expect(try JSONValue(parsing: live.text) == ["status": "up"])
            let ready = try await client.get("/health/ready")
            #expect(try JSONValue(parsing: ready.text) == ["status": "up", "checks": ["broker": "up", "database": "up", "migrated": "up"]])
        }
    }

    @Test("DELETE: 202 and one delivery.cancellation-requested even when repeated; 404 unknown; 400 not a UUID")
    func cancel() async throws {
        try await withIngestion { harness, client, capture in
            let accepted = try await client.post("/api/deliveries", json: requestBody())
            let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(accepted.body))["deliveryId"])
            let first = try await client.delete("/api/deliveries/\(id)")
            let again = try await client.delete("/api/deliveries/\(id)")
            #expect(first.status == 202)
            #expect(again.status == 202)
            #expect(first.text.contains("cancellation-requested"))
            #expect(try await client.delete("/api/deliveries/\(UUID().uuidString)").status == 404)
            #expect(try await client.delete("/api/deliveries/not-a-uuid").status == 400)
            let events = try await harness.drain(capture, expecting: 2)
            #expect(events.map(\.type) == [.deliveryRequested, .deliveryCancellationRequested])
        }
    }
}

extension IngestionAPITests {
    @Test("no key, a malformed, unknown or revoked key: 401 problem+json with WWW-Authenticate: Bearer; nothing stored")
    func unauthenticated() async throws {
        try await withIngestion { harness, client, _ in
            let revoked = try await harness.issueAPIKey(.customer(ownerId: "acct-active-001"))
            let usable = client.with(key: revoked.key)
            #expect(try await usable.post("/api/deliveries", json: requestBody()).status == 202)
            try await harness.revokeAPIKey(revoked.id)
            let anonymous = PlainHTTPClient(port: client.port)
            let refused: [(String, PlainHTTPClient)] = [
                ("no key", anonymous), ("basic", anonymous.with(header: ("Authorization", "Basic dXNlcjpwYXNz"))),
                ("malformed", anonymous.with(key: "not-a-key")), ("unknown", anonymous.with(key: APIKeySecret.generate())),
            ]
            for (label, other) in refused {
                for answer in [
                    try await other.post("/api/deliveries", json: requestBody()),
                    try await other.delete("/api/deliveries/\(UUID().uuidString)"),
                    try await other.request("PUT", "/api/deliveries"),
                ] {
                    #expect(answer.status == 401, "\(label)")
                    #expect(answer.header("WWW-Authenticate") == "Bearer", "\(label)")
                    #expect(answer.header("Content-Type") == "application/problem+json", "\(label)")
                    #expect(answer.text.contains("/problems/unauthorized"), "\(label)")
                }
            }
            // Revocation takes effect within the verifier's maximum age (a few seconds), not a restart.
            try await waitUntil("the revoked key refused", timeout: .seconds(60)) {
                try await usable.delete("/api/deliveries/\(UUID().uuidString)").status == 401
            }
            let afterRevocation = try await usable.post("/api/deliveries", json: requestBody())
            #expect(afterRevocation.status == 401 && afterRevocation.header("WWW-Authenticate") == "Bearer")
            #expect(try await harness.count("SELECT count(*) FROM requests") == 1)
            #expect(try await PlainHTTPClient(port: client.port).get("/health/ready").status == 200)
        }
    }

    @Test("a customer's key: its own deliveries only — 403 for another owner's request, another owner's delivery 404 like an unknown id")
    func customerScope() async throws {
        try await withIngestion { harness, client, capture in
            let acme = client.with(key: try await harness.issueAPIKey(.customer(ownerId: "acct-active-001")).key)
            let globex = client.with(key: try await harness.issueAPIKey(.customer(ownerId: "acct-near-limit-003")).key)
            let own = try await acme.post("/api/deliveries", json: requestBody())
            #expect(own.status == 202)
            let ownId = try #require(try JSONDecoder().decode([String: String].self, from: Data(own.body))["deliveryId"])

            let forOther = try await acme.post("/api/deliveries", json: requestBody(owner: "acct-near-limit-003"))
            #expect(forOther.status == 403)
            #expect(forOther.header("Content-Type") == "application/problem+json")
            let problem = try JSONValue(parsing: forOther.body)
            #expect(problem["type"] == "https://fabrikam.example/problems/forbidden")
            #expect(problem["detail"]?.stringValue?.contains("acct-near-limit-003") == true)

            let unknownId = UUID().uuidString.lowercased()
            let other = try await globex.delete("/api/deliveries/\(ownId)")
            let unknown = try await globex.delete("/api/deliveries/\(unknownId)")
            #expect(other.status == 404 && unknown.status == 404)
            #expect(other.text.replacingOccurrences(of: ownId, with: unknownId) == unknown.text, "the 404s differ: \(other.text) / \(unknown.text)")

            #expect(try await acme.delete("/api/deliveries/\(ownId)").status == 202)
            let byOperator = try await client.post("/api/deliveries", json: requestBody(owner: "acct-near-limit-003"))
            #expect(byOperator.status == 202)
            let operatorsId = try #require(try JSONDecoder().decode([String: String].self, from: Data(byOperator.body))["deliveryId"])
            #expect(try await client.delete("/api/deliveries/\(operatorsId)").status == 202)
            #expect(try await harness.count("SELECT count(*) FROM requests") == 2)
            let events = try await harness.drain(capture, expecting: 4)
            #expect(events.filter { $0.type == .deliveryCancellationRequested }.count == 2)
        }
    }
}

extension PlainHTTPClient {
    /// This client sending `key` as its bearer token instead of its own headers.
    func with(key: String) -> PlainHTTPClient { with(header: bearer(key)) }

    /// This client sending only `header` with every request.
    func with(header: (String, String)) -> PlainHTTPClient {
        PlainHTTPClient(host: host, port: port, timeout: timeout, headers: [header])
    }
}

/// The broker down while requests arrive. It disturbs every other test, so the test command runs
/// it alone, in its second phase (`FABRIKAM_CHAOS=1`).
@Suite("IngestionChaosTests: requests accepted while the broker is down", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["FABRIKAM_CHAOS"] == "1", "run by scripts/test.sh in its chaos phase"))
struct IngestionChaosTests {
    @Test("every request accepted while RabbitMQ is down is published once it is back")
    func acceptedWhileBrokerDown() async throws {
        let port = freePort()
        var harness = try ServiceHarness({ name, schema in try IngestionService.definition(name: name, schema: schema) }) {
            $0.httpPort = port
        }
        harness.routes = { router, database in try IngestionRoutes.register(on: router, database: database) }
        let capture = try await harness.captureQueue(["delivery.#"])
        let client = PlainHTTPClient(port: port, timeout: .seconds(30), headers: [bearer(try await harness.issueAPIKey(.operator).key)])
        try await harness.withRunningService { [harness] in
            try await waitUntil("the HTTP server") { (try? await client.get("/health/ready"))?.status == 200 }
            try TestServers.run("stop-rabbitmq-app")
            var accepted: [Int] = []
            do {
                for _ in 0..<5 { accepted.append(try await client.post("/api/deliveries", json: requestBody()).status) }
            } catch {
                try TestServers.run("start-rabbitmq-app")
                throw error
            }
            try TestServers.run("start-rabbitmq-app")
            #expect(accepted == [202, 202, 202, 202, 202])
            try await waitUntil("the relay to publish the backlog", timeout: .seconds(60)) {
                (try? await harness.count("SELECT count(*) FROM outbox")) == 0
            }
            let events = try await harness.drain(capture, expecting: 5)
            #expect(Set(events.filter { $0.type == .deliveryRequested }.map(\.id)).count == 5)
        }
        #expect(try await harness.count("SELECT count(*) FROM requests") == 5)
        try await harness.cleanUp()
    }
}
