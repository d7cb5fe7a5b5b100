import Contracts
import Foundation
import SagaLoadMeasures
import SagaScenarios
import Testing

/// When a saga ended, how a run's outcomes are counted, and whose account each delivery uses.
@Suite("Saga ends and outcomes")
struct SagaOutcomeTests {
    private let t0 = Date(timeIntervalSince1970: 1_000_000)

    private func event(_ type: EventType, _ offset: Double) -> SagaEnd.LoggedEvent {
        SagaEnd.LoggedEvent(type: type, recordedAt: t0.addingTimeInterval(offset))
    }

    @Test("completed: at delivery.completed")
    func completed() {
        #expect(SagaEnd.endedAt([event(.packageCreated, 0.1), event(.droneAllocated, 0.2), event(.deliveryCompleted, 0.5)])
            == t0.addingTimeInterval(0.5))
    }

    @Test("a failure ends at its last needed compensation, not before")
    func compensated() {
        let rejected = [event(.accountRejected, 0.1), event(.packageCreated, 0.05), event(.droneAllocated, 0.2), event(.packageCancelled, 0.3)]
        #expect(SagaEnd.endedAt(rejected) == nil)
        #expect(SagaEnd.endedAt(rejected + [event(.droneReleased, 0.4)]) == t0.addingTimeInterval(0.4))
        #expect(SagaEnd.endedAt([event(.accountRejected, 0.1)]) == t0.addingTimeInterval(0.1))
        #expect(SagaEnd.endedAt([event(.packageCreated, 0.1), event(.droneAllocated, 0.2)]) == nil)
        #expect(!SagaEnd.compensationsLogged([.deliverySchedulingFailed, .packageCreated]))
    }

    @Test("outcomes: per path and stage, the unexpected and the not ended")
    func tally() {
        var tally = OutcomeTally()
        tally.add(path: "completed", stage: "Completed", expected: ["Completed"])
        tally.add(path: "completed", stage: "Completed", expected: ["Completed"])
        tally.add(path: "completed", stage: "Compensated", expected: ["Completed"])
        tally.add(path: "no-fly-zone", stage: nil, expected: ["Compensated"])
        #expect(tally.counts[OutcomeTally.Key(path: "completed", stage: "Completed")] == 2)
        #expect(tally.unexpected == 1)
        #expect(tally.notEnded == 1)
        #expect(tally.perStage == ["Completed": 2, "Compensated": 1])
    }

    @Test("run figures: sagas/s from the first POST to the last end, latency per saga")
    func figures() {
        let sagas = [
            LoadFigures.Saga(path: .completed, stage: "Completed", events: [event(.deliveryCompleted, 1)], postedAt: t0, seenEndedAt: t0.addingTimeInterval(1.01)),
            LoadFigures.Saga(
                path: .accountSuspended, stage: "Compensated",
                events: [event(.accountRejected, 1.5), event(.packageCreated, 1.4), event(.packageCancelled, 2)],
                postedAt: t0.addingTimeInterval(1), seenEndedAt: t0.addingTimeInterval(1.6)),
            LoadFigures.Saga(path: .noFlyZone, stage: "Created", events: [], postedAt: t0.addingTimeInterval(1), seenEndedAt: nil),
        ]
        let figures = LoadFigures(sagas)
        #expect(figures.ended == 2)
        #expect(figures.span == 2)
        #expect(figures.sagasPerSecond == 1)
        #expect(figures.endedAfterSeen == 1)
        #expect(figures.outcomes.notEnded == 1)
        #expect(figures.outcomes.unexpected == 0)
        #expect(figures.latency.maximumMilliseconds == 1000)
    }

    @Test("owners: one in twenty suspended, spread in turn; trigger owners kept")
    func owners() {
        let owners = BenchOwners(owners: 1000)
        #expect(owners.active == 950)
        #expect(owners.suspended == 50)
        #expect(owners.ownerId(for: .completed, index: 951) == "bench-active-0001")
        #expect(owners.ownerId(for: .noFlyZone, index: 12) == "bench-active-0012")
        #expect(owners.ownerId(for: .accountSuspended, index: 51) == "bench-suspended-0001")
        #expect(owners.ownerId(for: .accountUnknown, index: 3) == SagaPath.accountUnknown.ownerId)
        #expect(BenchOwners(owners: 1).active == 1)
        #expect(BenchOwners(owners: 1).suspended == 1)
    }
}
