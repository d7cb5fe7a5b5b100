import AMQP
@testable import Choreography
import Contracts
import Foundation
import InMemoryTracing
import IntegrationSupport
import ServiceHTTP
import ServiceTestSupport
import Testing
import Tracing

/// The tracing decisions, with no server: traceparent parsing, the stored carrier, when the
/// exporter is on, and a consumer span's outcome.
@Suite("Tracing: traceparent, stored context, configuration, outcome")
struct TracingDecisionTests {
    @Test("a valid traceparent parses and formats back; malformed ones are refused")
    func traceparent() throws {
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let parsed = try #require(TraceParent(parsing: text))
        #expect(parsed.traceId == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(parsed.parentId == "00f067aa0ba902b7")
        #expect(parsed.sampled)
        #expect(parsed.formatted == text)
        #expect(TraceParent(parsing: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled == false)
        // A later version may add fields; version 00 may not.
        #expect(TraceParent(parsing: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") != nil)
        for bad in [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        ] {
            #expect(TraceParent(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test("a carrier survives its stored form; an empty or malformed one is none; its trace id comes from traceparent")
    func storedCarrier() throws {
        let carrier = TraceCarrier(["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "k=v"])
        #expect(TraceCarrier(storedForm: carrier.storedForm) == carrier)
        #expect(carrier.storedForm == #"{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"k=v"}"#)
        let awkward = TraceCarrier(["k\"ey": "a\\b\n\u{1}é"])
        #expect(TraceCarrier(storedForm: awkward.storedForm) == awkward)
        #expect(carrier.traceId == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(TraceCarrier().storedForm == nil)
        #expect(TraceCarrier(storedForm: nil) == nil)
        #expect(TraceCarrier(storedForm: "not json") == nil)
        #expect(TraceCarrier(storedForm: "{}") == nil)
        #expect(TraceCarrier(["in-memory-trace-id": "1"]).traceId == nil)
    }

    @Test("the exporter is off unless OTEL_* configures it")
    func configured() {
        #expect(!TracingBootstrap.isConfigured([:]))
        #expect(!TracingBootstrap.isConfigured(["OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318"]))
        #expect(TracingBootstrap.isConfigured(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318"]))
        #expect(TracingBootstrap.isConfigured(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces"]))
        #expect(TracingBootstrap.isConfigured(["OTEL_TRACES_EXPORTER": "otlp"]))
        #expect(!TracingBootstrap.isConfigured(["OTEL_EXPORTER_OTLP_ENDPOINT": ""]))
        #expect(!TracingBootstrap.isConfigured(["OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"]))
    }

    @Test("a consumer span's outcome: handled, duplicate, retried, parked or kept")
    func outcome() {
        #expect(TraceOutcome.of(.handled(type: "t", outbox: []), .acknowledge) == "handled")
        #expect(TraceOutcome.of(.duplicate(type: "t"), .acknowledge) == "duplicate")
        #expect(TraceOutcome.of(.failed(type: "t", error: "e"), .retry(attempt: 1, error: "e")) == "retried")
        #expect(TraceOutcome.of(.poison(reason: "not-json", error: "e"), .park(reason: "not-json", attempt: 1, error: "e")) == "parked")
        #expect(TraceOutcome.of(.databaseUnavailable, .keep) == "kept")
        #expect(TraceOutcome.errorType(.poison(reason: "not-json", error: "e")) == "not-json")
        #expect(TraceOutcome.errorType(.failed(type: "t", error: "e")) == "handler-failed")
        #expect(TraceOutcome.errorType(.handled(type: "t", outbox: [])) == nil)
    }
}

/// The runtime's spans through the echo service, with an in-memory tracer (real servers).
@Suite("Tracing: the runtime's span tree", .serialized)
struct TracingSpanTreeTests {
    @Test("a consumed event is processed in a span continuing the caller's trace, with children for the transaction and for publishing what it emitted")
    func spanTree() async throws {
        let tracer = InMemoryTracer(recordInjections: false, recordExtractions: false)
        var traced = try EchoHarness()
        traced.service.tracer = tracer
        let harness = traced
        let capture = try await harness.captureQueue()
        let deliveryId = UUID()
        // The caller's span: its context travels in the request's headers.
        let caller = tracer.startSpan("caller", context: .topLevel, ofKind: .producer)
        var message = try harness.request(owner: "traced-owner", deliveryId: deliveryId)
        tracer.inject(caller.context, into: &message.properties.headers, using: AMQPHeadersInjector())
        caller.end()
        let request = message
        try await harness.withRunningService {
            try await harness.publish([request])
            try await waitUntil("the echo's spans") {
                tracer.finishedSpans.contains { $0.operationName == "process delivery.requested" }
                    && tracer.finishedSpans.contains { $0.operationName == "publish account.validated" }
            }
        }
        let spans = tracer.finishedSpans
        let consumer = try #require(spans.first { $0.operationName == "process delivery.requested" })
        #expect(consumer.kind == .consumer)
        #expect(consumer.traceID == caller.context.inMemorySpanContext?.traceID)
        #expect(consumer.parentSpanID == caller.context.inMemorySpanContext?.spanID)
        #expect(consumer.attributes.get(TraceAttributes.messagingSystem) == .string("rabbitmq"))
        #expect(consumer.attributes.get(TraceAttributes.outcome) == .string("handled"))
        #expect(consumer.attributes.get(TraceAttributes.deliveryId) == .string(deliveryId.uuidString.lowercased()))
        #expect(consumer.attributes.get(TraceAttributes.eventId) == request.properties.messageId.map { SpanAttribute.string($0) })

        let transaction = try #require(spans.first { $0.parentSpanID == consumer.spanID && $0.kind == .client })
        #expect(transaction.attributes.get(TraceAttributes.databaseSystemName) == .string("postgresql"))
        let publish = try #require(spans.first { $0.operationName == "publish account.validated" })
        #expect(publish.kind == .producer)
        #expect(publish.traceID == consumer.traceID)
        #expect(publish.parentSpanID == consumer.spanID)

        // The emitted message carries the publishing span's context: its consumer would be the next child.
        let emitted = try #require(try await harness.drain(capture, expecting: 1).first)
        var extracted = ServiceContext.topLevel
        tracer.extract(emitted.properties.headers, into: &extracted, using: AMQPHeadersExtractor())
        #expect(extracted.inMemorySpanContext?.spanID == publish.spanID)
        #expect(extracted.inMemorySpanContext?.traceID == consumer.traceID)
        try await harness.cleanUp()
    }

    @Test("a duplicate's transaction span is not marked failed: the inbox refused the copy, as designed")
    func duplicateTransactionIsNoFailure() async throws {
        let tracer = InMemoryTracer(recordInjections: false, recordExtractions: false)
        var traced = try EchoHarness(eventsPerTransaction: 1)
        traced.service.tracer = tracer
        let harness = traced
        let request = try harness.request(owner: "traced-duplicate")
        try await harness.withRunningService {
            try await harness.publish([request])
            try await waitUntil("the event handled") { harness.eventsHandled == 1 }
            try await harness.publish([request])
            try await waitUntil("its copy skipped") { harness.duplicatesSkipped == 1 }
        }
        let spans = tracer.finishedSpans
        let copy = try #require(spans.first { $0.attributes.get(TraceAttributes.outcome) == .string("duplicate") })
        let transactions = spans.filter { $0.parentSpanID == copy.spanID && $0.kind == .client }
        #expect(transactions.count == 1)
        #expect(transactions.allSatisfy { $0.status?.code != .error })
        try await harness.cleanUp()
    }
}
