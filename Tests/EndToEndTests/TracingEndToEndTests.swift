import Foundation
import IntegrationSupport
import PlainHTTPClient
import Postgres
import SagaSchedules
import SagaScenarios
import Testing

/// The six services exporting their spans over OTLP/HTTP to a receiver in the test: one saga is
/// one trace whose span tree follows the causation tree.
@Suite("End to end: one saga, one trace", .serialized)
struct TracingEndToEndTests {
    @Test("a saga continues its caller's trace: every span shares its trace id; every consumer span's parent is the publishing span of the event it consumed")
    func oneSagaOneTrace() async throws {
        let receiver = OTLPReceiver(port: freePort())
        try await receiver.serving {
            let system = try await DeliverySystem(environment: receiver.environment)
            do {
                // The caller's W3C context: the saga's trace is the caller's.
                let caller = (trace: Self.randomHex(16), span: Self.randomHex(8))
                let response = try await system.api.ingestion.post(
                    "/api/deliveries", json: SagaPath.completed.requestBody(tag: "e2e"),
                    headers: [("traceparent", "00-\(caller.trace)-\(caller.span)-01")])
                #expect(response.status == 202)
                let answer = try JSONDecoder().decode([String: String].self, from: Data(response.body))
                let id = try #require(answer["deliveryId"].flatMap(UUID.init(uuidString:)))
                let stages = try await system.waitForEnd([id])
                #expect(stages[id] == "Completed")
                try await check(id, system, receiver, caller: caller)
            } catch {
                await system.shutDown()
                throw error
            }
            await system.shutDown()
        }
    }

    /// `bytes` random bytes as lowercase hex.
    private static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
    }

    private func check(_ id: UUID, _ system: DeliverySystem, _ receiver: OTLPReceiver, caller: (trace: String, span: String)) async throws {
        let delivery = id.uuidString.lowercased()
        let handled = try await system.count(
            "SELECT count(*) FROM ("
                + DeliverySystem.services.map { "SELECT 1 FROM \($0).inbox WHERE delivery_id = $1" }.joined(separator: " UNION ALL ")
                + ") AS handled", [.uuid(id)])
        // Wait on state: a consumer span for every handling the inboxes recorded, each with its parent.
        try await waitUntil("the saga's spans", timeout: .seconds(90)) {
            let spans = receiver.spans
            let ids = Set(spans.map(\.spanId))
            let consumers = spans.filter { $0.kind == ReceivedSpan.consumer && $0.attributes["fabrikam.delivery.id"] == delivery }
            return consumers.count >= handled && consumers.allSatisfy { $0.parentSpanId.map(ids.contains) == true }
        }
        let all = receiver.spans
        let consumers = all.filter { $0.kind == ReceivedSpan.consumer && $0.attributes["fabrikam.delivery.id"] == delivery }
        let traceIds = Set(all.filter { $0.attributes["fabrikam.delivery.id"] == delivery }.map(\.traceId))
        #expect(traceIds.count == 1, "the saga's spans are in \(traceIds.count) traces")
        let traceId = try #require(traceIds.first)
        #expect(traceId == caller.trace)
        let trace = all.filter { $0.traceId == traceId }
        let byId = Dictionary(trace.map { ($0.spanId, $0) }, uniquingKeysWith: { first, _ in first })

        // The causation tree: each consumer's parent is the producer span of the very event it consumed.
        for consumer in consumers {
            let parent = try #require(consumer.parentSpanId.flatMap { byId[$0] }, "\(consumer.name) in \(consumer.service) has no parent")
            #expect(parent.kind == ReceivedSpan.producer, "\(consumer.name)'s parent is \(parent.name)")
            #expect(parent.attributes["fabrikam.event.id"] == consumer.attributes["fabrikam.event.id"])
        }
        // One tree: a single root (ingestion's server span for the POST, a child of the caller's
        // span), every other span's parent in the trace.
        let roots = trace.filter { $0.parentSpanId.map { byId[$0] == nil } ?? true }
        #expect(roots.count == 1, "roots: \(roots.map { "\($0.service) \($0.name)" })")
        #expect(roots.first?.kind == ReceivedSpan.server && roots.first?.service == "ingestion")
        #expect(roots.first?.parentSpanId == caller.span)
        #expect(Set(trace.map(\.service)) == Set(DeliverySystem.services))
        // HTTP reads of history (the status polls) have server spans of their own.
        #expect(all.contains { $0.service == "history" && $0.kind == ReceivedSpan.server && $0.traceId != traceId })
        // What saga-inspect reads: every inbox recorded the handling under this trace id.
        let inboxTraceIds = try await system.query(
            DeliverySystem.services.map { "SELECT trace_id FROM \($0).inbox WHERE delivery_id = $1" }.joined(separator: " UNION "), [.uuid(id)])
        #expect(try inboxTraceIds.map { try $0.decode(String?.self, column: "trace_id") } == [traceId])

        // A sample of the tree, for the report.
        func render(_ span: ReceivedSpan, _ depth: Int) -> [String] {
            let line = String(repeating: "  ", count: depth) + "\(span.service): \(span.name)"
            let children = trace.filter { $0.parentSpanId == span.spanId }.sorted { $0.name < $1.name }
            return [line] + children.flatMap { render($0, depth + 1) }
        }
        if let root = roots.first {
            let tree = render(root, 0)
            print("trace \(traceId), \(trace.count) spans:\n" + tree.joined(separator: "\n"))
        }
    }
}
