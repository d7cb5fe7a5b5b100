import Foundation
import SagaSchedules
import IntegrationSupport
import PlainHTTPClient
import Postgres
import SagaScenarios
import Testing

/// The six services as separate processes on the real servers, driven through the HTTP API:
/// every path of the saga to its terminal state, with the invariants checked at the end.
@Suite("End to end: the delivery saga", .serialized)
struct DeliverySagaTests {
    @Test("every path ends in its terminal stage with the right reason, and nothing is left allocated or active")
    func everyPath() async throws {
        let system = try await DeliverySystem()
        do {
            let paths = SagaPath.allCases.filter { $0 != .cancelled }
            var ids: [UUID: SagaPath] = [:]
            for path in paths { ids[try await system.submit(path)] = path }
            let stages = try await system.waitForEnd(Array(ids.keys))
            for (id, path) in ids {
                #expect(path.expectedStages.contains(stages[id] ?? "?"), "\(path) ended \(stages[id] ?? "?")")
            }
            let expectedReasons: [SagaPath: String] = [
                .accountSuspended: "ACCOUNT_SUSPENDED", .accountUnknown: "ACCOUNT_UNKNOWN", .overDailyLimit: "DAILY_LIMIT_EXCEEDED",
                .packageRejected: "OVERWEIGHT", .noDroneInRange: "NO_DRONE_IN_RANGE", .noFlyZone: "NO_FLY_ZONE",
                .deadlineUnreachable: "DEADLINE_UNREACHABLE",
            ]
            for (id, path) in ids {
                guard let expected = expectedReasons[path] else { continue }
                let status = try await system.api.status(id)
                #expect(status?.reason?.code == expected, "\(path): reason \(String(describing: status?.reason))")
            }
            try await SagaInvariants.check(system)
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }

    @Test("a customer cancellation before pickup is compensated; after pickup it is refused and the delivery completes")
    func cancellation() async throws {
        // Flights take a few seconds at this time scale, so a test can act before and after pickup.
        let system = try await DeliverySystem(environment: ["DRONE_TIME_SCALE": "0.05"])
        do {
            let early = try await system.submit(.completed)
            #expect(try await system.api.cancel(early) == 202)
            let late = try await system.submit(.completed)
            try await waitUntil("the drone to pick up the package", timeout: .seconds(60)) {
                try await system.api.status(late)?.stage == "HeadedToDropoff"
            }
            #expect(try await system.api.cancel(late) == 202)
            let stages = try await system.waitForEnd([early, late])
            #expect(stages[early] == "Cancelled")
            #expect(stages[late] == "Completed")
            #expect(try await system.count(
                "SELECT count(*) FROM history.events WHERE delivery_id = $1 AND event_type = 'delivery.cancellation-refused'",
                [.uuid(late)]) == 1)
            try await SagaInvariants.check(system)
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }

    @Test("a cancellation the delivery service handles only after the drone decided (it was stopped): one consistent outcome, no drone held")
    func cancellationWhileTheDeliveryServiceIsDown() async throws {
        // Flights take a few seconds at this time scale. Before the fix, the delivery service
        // cancelled from its lagging copy ('scheduled') after the drone had picked up: the drone
        // ignored the compensation, drone.delivered was ignored, and the drone stayed flying for ever.
        let system = try await DeliverySystem(environment: ["DRONE_TIME_SCALE": "0.05"])
        do {
            let id = try await system.submit(.completed)
            try await waitUntil("the delivery to be scheduled", timeout: .seconds(60)) {
                try await system.count("SELECT count(*) FROM delivery.deliveries WHERE delivery_id = $1 AND state = 'scheduled'", [.uuid(id)]) == 1
            }
            try await system.stop("delivery")
            #expect(try await system.api.cancel(id) == 202)
            // The drone service decides: released for the cancellation, or already in the air.
            try await waitUntil("the drone service's decision", timeout: .seconds(60)) {
                try await system.count("""
                    SELECT count(*) FROM drone.allocations
                    WHERE delivery_id = $1 AND (state IN ('flying', 'delivered') OR release_reason = 'DELIVERY_CANCELLED')
                    """, [.uuid(id)]) == 1
            }
            let released = try await system.count(
                "SELECT count(*) FROM drone.allocations WHERE delivery_id = $1 AND release_reason = 'DELIVERY_CANCELLED'", [.uuid(id)]) == 1
            try await system.start("delivery")
            try await system.waitUntilReady()
            let stages = try await system.waitForEnd([id])
            #expect(stages[id] == (released ? "Cancelled" : "Completed"))
            let refusals = try await system.count(
                "SELECT count(*) FROM history.events WHERE delivery_id = $1 AND event_type = 'delivery.cancellation-refused'", [.uuid(id)])
            #expect(refusals == (released ? 0 : 1))
            try await SagaInvariants.check(system)
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }

    @Test("one Idempotency-Key twice starts one saga; a malformed request is refused and starts nothing")
    func idempotencyAndMalformed() async throws {
        let system = try await DeliverySystem()
        do {
            let key = "e2e-\(UUID().uuidString)"
            let body = SagaPath.completed.requestBody(tag: "idempotent")
            let first = try await system.api.submit(body, idempotencyKey: key)
            let second = try await system.api.submit(body, idempotencyKey: key)
            #expect(first == second)
            let malformed = try await system.api.ingestion.post("/api/deliveries", json: Array(#"{"ownerId": 42}"#.utf8))
            #expect(malformed.status == 422)
            #expect(malformed.header("Content-Type") == "application/problem+json")
            let stages = try await system.waitForEnd([first])
            #expect(stages[first] == "Completed")
            #expect(try await system.count("SELECT count(*) FROM ingestion.requests") == 1)
            #expect(try await system.count("SELECT count(*) FROM history.events WHERE event_type = 'delivery.requested'") == 1)
            try await SagaInvariants.check(system)
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }

    @Test("a service killed while sagas are in flight and started again: every saga ends, nothing applied twice")
    func serviceRestart() async throws {
        let system = try await DeliverySystem()
        do {
            try await system.kill("drone")
            var ids: [UUID] = []
            for index in 0..<20 { ids.append(try await system.submit(index.isMultiple(of: 5) ? .noFlyZone : .completed)) }
            try await waitUntil("packages created while the drone service is down") {
                try await system.count("SELECT count(*) FROM package.packages") >= 20
            }
            try await system.stop("delivery")
            try await system.start("drone")
            try await system.start("delivery")
            try await system.waitUntilReady()
            let stages = try await system.waitForEnd(ids, timeout: .seconds(120))
            #expect(stages.values.filter { $0 == "Completed" }.count == 16)
            #expect(stages.values.filter { $0 == "Compensated" }.count == 4)
            try await SagaInvariants.check(system)
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }
}
