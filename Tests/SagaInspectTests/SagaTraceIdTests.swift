import Foundation
import SagaInspect
import Testing

/// The saga's trace id as saga-inspect reads it from the inboxes, with no server.
@Suite("saga-inspect: the saga's trace id")
struct SagaTraceIdTests {
    private func handled(_ traceId: String?, at seconds: Double) -> HandledEvent {
        HandledEvent(service: "s", eventId: UUID(), eventType: "t", handledAt: Date(timeIntervalSince1970: seconds), traceId: traceId)
    }

    @Test("none when nothing was traced; otherwise the trace most handlings were in, the earliest on a tie")
    func traceId() {
        #expect(SagaTraceId.of([]) == nil)
        #expect(SagaTraceId.of([handled(nil, at: 1)]) == nil)
        #expect(SagaTraceId.of([handled("b", at: 1), handled("a", at: 2), handled("a", at: 3), handled(nil, at: 4)]) == "a")
        #expect(SagaTraceId.of([handled("b", at: 2), handled("a", at: 1)]) == "a")
    }
}
