import Foundation
import IntegrationSupport
import SagaScenarios
import SagaSchedules
import Testing

/// The schedules themselves, with no servers: a seed fixes every plan and decision.
@Suite("Schedules: plans and decisions follow from the seed")
struct SchedulePlanTests {
    @Test("the same seed gives the same plans and decisions; another seed other ones")
    func deterministic() {
        let options = ScheduleOptions()
        let plans = (0..<100).map { SchedulePlan(seed: 42, index: $0, options: options) }
        #expect(plans == (0..<100).map { SchedulePlan(seed: 42, index: $0, options: options) })
        #expect(plans != (0..<100).map { SchedulePlan(seed: 43, index: $0, options: options) })
        func decisions(_ plan: SchedulePlan) -> [ScheduleStep] {
            var decider = ScheduleDecider(plan: plan, options: options)
            return (1...30).map { decider.next(waiting: $0) }
        }
        #expect(plans.map(decisions) == plans.map(decisions))
        #expect(decisions(plans[0]) != decisions(plans[1]))
        for plan in plans {
            for (waiting, step) in zip(1...30, decisions(plan)) { #expect((0..<waiting).contains(step.pick)) }
        }
    }

    @Test("200 schedules cover every path, with and without a cancellation, injected at every step up to the latest, and overdue pickups")
    func coverage() {
        var options = ScheduleOptions()
        options.killProbability = 0.5
        let plans = (0..<200).map { SchedulePlan(seed: ScheduleCampaignTests.seed, index: $0, options: options) }
        #expect(Set(plans.map(\.path)) == Set(options.paths))
        for path in options.paths {
            #expect(plans.contains { $0.path == path && $0.cancelAfterStep == nil }, "\(path) never runs uncancelled")
            #expect(plans.contains { $0.path == path && $0.cancelAfterStep != nil }, "\(path) is never cancelled")
        }
        let cancelSteps = Set(plans.compactMap(\.cancelAfterStep))
        #expect(cancelSteps.isSuperset(of: 0...20), "cancellation steps missing: \(Set(0...20).subtracting(cancelSteps).sorted())")
        // An overdue pickup, alone and together with a cancellation, from early steps on.
        #expect(plans.contains { $0.overdueAfterStep != nil && $0.cancelAfterStep == nil })
        #expect(plans.contains { $0.overdueAfterStep != nil && $0.cancelAfterStep != nil })
        // Far-off pickups (allocated on a deadline), on every path.
        for path in options.paths { #expect(plans.contains { $0.path == path && $0.farOffPickup }, "\(path) never has a far-off pickup") }
        let overdueSteps = Set(plans.compactMap(\.overdueAfterStep))
        // (The deadline exists from scheduling on, a few steps in: an earlier step means "at once".)
        #expect(overdueSteps.isSuperset(of: 1...10), "overdue steps missing: \(Set(1...10).subtracting(overdueSteps).sorted())")
        var decider = ScheduleDecider(plan: plans[0], options: options)
        let kills = (0..<100).compactMap { _ in decider.next(waiting: 3).kill }
        #expect(!kills.isEmpty && Set(kills).isSubset(of: ScheduleDecider.killable))
    }
}

/// The six services as processes with the interposer between them and their queues: 200 seeded
/// schedules (every path, a cancellation at every step, duplicates, twins, reorderings, kills),
/// each checked against the saga's invariants. Phase 2 of the test command runs it.
@Suite("Schedules: the saga's invariants under adversarial schedules", .serialized)
struct ScheduleCampaignTests {
    /// The seed CI runs (`SCHEDULE_SEED` overrides it); `saga-bench schedules` draws new ones.
    static let seed: UInt64 = ProcessInfo.processInfo.environment["SCHEDULE_SEED"].flatMap(UInt64.init) ?? 20_261_202

    @Test("200 schedules: nothing held, compensations once, outcomes agree, every saga ends, nothing lost or parked")
    func campaign() async throws {
        let system = try await DeliverySystem(environment: ["DRONE_TIME_SCALE": "0", "DELIVERY_JOIN_TIMEOUT_S": "60"], interposed: true)
        do {
            var options = ScheduleOptions()
            options.killProbability = 0.002
            let report = try await ScheduleCampaign(seed: Self.seed, count: 200, concurrency: 8, options: options).run(on: system)
            let text = report.text { "swift run saga-bench schedules --seed \(Self.seed) --kill-probability 0.002 --only \($0.index)" }
            print(text)
            #expect(report.results.count == 200)
            #expect(report.failures.isEmpty, "\(text)")
            #expect(report.parked.isEmpty, "parked: \(report.parked)")
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }
}
