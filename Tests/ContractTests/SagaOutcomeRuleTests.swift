import Contracts
import Testing

/// `SagaOutcomeRule`: which ending event decides, and which compensations an outcome needs.
@Suite("Saga outcome rule")
struct SagaOutcomeRuleTests {
    @Test("the owner's decision wins over a branch failure, whatever the order")
    func decidingEvent() {
        let logged: [EventType] = [.accountRejected, .deliverySchedulingFailed, .droneAllocationFailed]
        #expect(SagaOutcomeRule.deciding(logged, type: { $0 }) == .deliverySchedulingFailed)
        #expect(SagaOutcomeRule.deciding([EventType.deliveryScheduled], type: { $0 }) == nil)
    }

    @Test("ending events are delivery.completed and every ranked failure")
    func endingEvents() {
        #expect(SagaOutcomeRule.endingEvents == Set(SagaOutcomeRule.precedence + [.deliveryCompleted]))
    }

    @Test("a completed saga needs no compensation, even with its drone released")
    func completedNeedsNothing() {
        let logged: Set<EventType> = [.deliveryRequested, .packageCreated, .droneAllocated, .deliveryCompleted]
        #expect(SagaOutcomeRule.compensationsNeeded(logged).isEmpty)
        #expect(SagaOutcomeRule.compensationsOwed(logged).isEmpty)
    }

    @Test("a saga without an outcome owes nothing yet")
    func inFlightOwesNothing() {
        #expect(SagaOutcomeRule.compensationsOwed([.deliveryRequested, .packageCreated, .droneAllocated]).isEmpty)
    }

    @Test("a failure needs the undoing of every step that took effect, and owes what is not logged")
    func failureNeedsUndoing() {
        let rejected: Set<EventType> = [.deliveryRequested, .accountRejected, .packageCreated, .droneAllocated]
        #expect(SagaOutcomeRule.compensationsNeeded(rejected) == [.packageCancelled, .droneReleased])
        #expect(SagaOutcomeRule.compensationsOwed(rejected.union([.packageCancelled])) == [.droneReleased])
        #expect(SagaOutcomeRule.compensationsOwed(rejected.union([.packageCancelled, .droneReleased])).isEmpty)
        // The drone branch failed: only the package is undone.
        #expect(SagaOutcomeRule.compensationsNeeded([.packageCreated, .droneAllocationFailed]) == [.packageCancelled])
        // Rejected before any step took effect: nothing to undo.
        #expect(SagaOutcomeRule.compensationsNeeded([.deliveryRequested, .accountRejected]).isEmpty)
    }
}
