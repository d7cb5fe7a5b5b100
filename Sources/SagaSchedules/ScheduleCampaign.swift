import Foundation
import Postgres

/// A run of many schedules against one interposed system, several at once (each saga is its own
/// delivery, so their schedules do not mix), with the invariants checked after each.
package struct ScheduleCampaign: Sendable {
    /// The seed every plan and decision follows from.
    package var seed: UInt64
    /// How many schedules.
    package var count: Int
    /// How many run at once.
    package var concurrency: Int
    /// How adversarial they are.
    package var options: ScheduleOptions
    /// Run only these schedule numbers (a replay); nil runs `0..<count`.
    package var only: [Int]?
    /// The longest one saga may take.
    package var bound: Duration = .seconds(120)

    /// A campaign.
    package init(seed: UInt64, count: Int, concurrency: Int = 6, options: ScheduleOptions = ScheduleOptions(), only: [Int]? = nil) {
        self.seed = seed
        self.count = count
        self.concurrency = concurrency
        self.options = options
        self.only = only
    }

    /// The plans this campaign runs.
    package var plans: [SchedulePlan] {
        (only ?? Array(0..<count)).map { SchedulePlan(seed: seed, index: $0, options: options) }
    }

    /// Runs every plan on `system` (started in interposed mode); `progress` hears of each result.
    package func run(on system: DeliverySystem, progress: @Sendable (ScheduleResult) -> Void = { _ in }) async throws -> CampaignReport {
        guard let interposerQueue = system.tapQueue else { throw ScheduleHarnessError("the system was not started interposed") }
        let interposer = Interposer(amqpURL: system.amqpURL, exchange: system.exchange, tapQueue: interposerQueue, queuePrefix: system.queuePrefix)
        let started = ContinuousClock.now
        var results: [ScheduleResult] = []
        try await withThrowingTaskGroup(of: ScheduleResult?.self) { group in
            group.addTask {
                try await interposer.tap()
                return nil
            }
            var next = plans.makeIterator()
            func startNext() -> Bool {
                guard let plan = next.next() else { return false }
                group.addTask {
                    let database = try await PostgresConnection.connect(url: system.adminURL)
                    let result = await ScheduleRun(plan: plan, options: options, system: system, interposer: interposer, bound: bound)
                        .run(database: database)
                    await database.close()
                    return result
                }
                return true
            }
            var running = 0
            while running < concurrency, startNext() { running += 1 }
            while running > 0, let finished = try await group.next() {
                guard let result = finished else { continue }
                running -= 1
                results.append(result)
                progress(result)
                if startNext() { running += 1 }
            }
            group.cancelAll()
        }
        await interposer.close()
        let parked = try await system.parkedMessages().filter { $0.value > 0 }
        return CampaignReport(
            seed: seed, results: results.sorted { $0.plan.index < $1.plan.index }, parked: parked,
            duration: ContinuousClock.now - started)
    }
}

/// What a campaign found.
package struct CampaignReport: Sendable {
    /// The campaign's seed.
    package var seed: UInt64
    /// Every schedule's result, by number.
    package var results: [ScheduleResult]
    /// Messages left in parking queues, per service (none may be).
    package var parked: [String: Int]
    /// How long it took.
    package var duration: Duration

    /// The schedules that broke an invariant.
    package var failures: [ScheduleResult] { results.filter { !$0.violations.isEmpty } }

    /// How many sagas ended in each stage.
    package var stages: [String: Int] { results.reduce(into: [:]) { $0[$1.stage ?? "none", default: 0] += 1 } }

    /// A summary, and for each failing schedule its plan, what broke, its steps and the command
    /// that replays it.
    package func text(replayCommand: (SchedulePlan) -> String) -> String {
        let steps = results.reduce(0) { $0 + $1.steps }
        let kills = results.reduce(0) { $0 + $1.kills }
        var lines = [
            "\(results.count) schedules (seed \(seed)), \(steps) interposed deliveries, \(kills) services killed and restarted, in \(duration)",
            "ended: " + stages.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
            "injected: \(results.filter(\.cancelled).count) customer cancellations, \(results.filter(\.overdue).count) overdue pickups, "
                + "\(results.filter(\.plan.farOffPickup).count) far-off pickups, \(results.reduce(0) { $0 + $1.clockAdvances }) deadlines brought forward",
            "broken invariants: \(failures.count) schedule(s)" + (parked.isEmpty ? "" : "; parked messages left: \(parked)"),
        ]
        for failure in failures {
            lines.append("")
            lines.append("FAILED \(failure.plan) (delivery \(failure.deliveryId?.uuidString.lowercased() ?? "none"))")
            lines += failure.violations.map { "  broken: \($0)" }
            lines += failure.log.map { "  \($0)" }
            lines.append("  replay: \(replayCommand(failure.plan))")
        }
        return lines.joined(separator: "\n")
    }
}
