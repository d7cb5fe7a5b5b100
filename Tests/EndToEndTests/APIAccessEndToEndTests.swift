import APIAccess
import Foundation
import IntegrationSupport
import PlainHTTPClient
import SagaSchedules
import SagaScenarios
import Testing

/// API keys through the whole system: the services create the key schema and read it with their
/// own roles; a customer's key sees only its owner's deliveries on both services.
@Suite("End to end: API keys", .serialized)
struct APIAccessEndToEndTests {
    @Test("a customer requests, follows and cancels its own delivery; another customer gets 404s and a 403; no key is a 401")
    func customerScope() async throws {
        let system = try await DeliverySystem()
        do {
            let owner = "acct-active-001"
            let customer = system.api(key: try await system.issueKey(.customer(ownerId: owner)))
            let stranger = system.api(key: try await system.issueKey(.customer(ownerId: "acct-near-limit-003")))
            let id = try await customer.submit(SagaPath.completed.requestBody(tag: "e2e-access", ownerId: owner))
            try await waitUntil("the customer sees its delivery", timeout: .seconds(60)) { try await customer.status(id) != nil }
            #expect(try await system.api.status(id) != nil, "the operator sees every delivery")
            #expect(try await stranger.status(id) == nil, "another customer's GET is a 404")
            let path = "/api/deliveries/\(id.uuidString.lowercased())"
            #expect(try await stranger.history.get(path + "/events").status == 404)
            #expect(try await stranger.cancel(id) == 404)
            let forOther = try await stranger.ingestion.post(
                "/api/deliveries", json: SagaPath.completed.requestBody(tag: "e2e-access", ownerId: owner))
            #expect(forOther.status == 403)
            let anonymous = PlainHTTPClient(port: system.ports["history"]!)
            let refused = try await anonymous.get(path)
            #expect(refused.status == 401 && refused.header("WWW-Authenticate") == "Bearer")
            #expect(try await PlainHTTPClient(port: system.ports["ingestion"]!).delete(path).status == 401)
            #expect(try await customer.cancel(id) == 202)
            let stages = try await system.waitForEnd([id])
            #expect(["Cancelled", "Completed"].contains(stages[id] ?? "?"))
            #expect(try await system.count("SELECT count(*) FROM ingestion.requests") == 1)
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }
}
