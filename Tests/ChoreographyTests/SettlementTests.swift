@testable import Choreography
import Testing

/// The ack / retry / park rule, with no server.
@Suite("Settlement: acknowledge, retry, park or keep")
struct SettlementTests {
    let policy = RetryPolicy(maximumAttempts: 3, initialDelay: .milliseconds(50), multiplier: 2, maximumDelay: .seconds(1))

    @Test("handled and duplicate deliveries are acknowledged; a lost database keeps the delivery in hand")
    func doneAndKept() {
        #expect(Settlement.of(.handled(type: "t", outbox: []), attempt: 1, policy: policy) == .acknowledge)
        #expect(Settlement.of(.duplicate(type: "t"), attempt: 3, policy: policy) == .acknowledge)
        #expect(Settlement.of(.databaseUnavailable, attempt: 1, policy: policy) == .keep)
        #expect(!Settlement.keep.acknowledges(copiesConfirmed: true))
        #expect(Settlement.acknowledge.acknowledges(copiesConfirmed: false))
    }

    @Test("a failure is retried while the policy allows, then parked as retries-exhausted; poison is parked at once")
    func failures() {
        #expect(Settlement.of(.failed(type: "t", error: "e"), attempt: 1, policy: policy) == .retry(attempt: 1, error: "e"))
        #expect(Settlement.of(.failed(type: "t", error: "e"), attempt: 2, policy: policy) == .retry(attempt: 2, error: "e"))
        #expect(Settlement.of(.failed(type: "t", error: "e"), attempt: 3, policy: policy)
            == .park(reason: "retries-exhausted", attempt: 3, error: "e"))
        #expect(Settlement.of(.poison(reason: "not-json", error: "x"), attempt: 1, policy: policy)
            == .park(reason: "not-json", attempt: 1, error: "x"))
    }

    @Test("a retried or parked delivery is acknowledged only once its copy is confirmed")
    func copiesFirst() {
        for settlement in [Settlement.retry(attempt: 1, error: "e"), .park(reason: "r", attempt: 1, error: "e")] {
            #expect(settlement.acknowledges(copiesConfirmed: true))
            #expect(!settlement.acknowledges(copiesConfirmed: false))
        }
    }
}
