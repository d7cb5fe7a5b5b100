import ArgumentParser
import Foundation
import Synchronization
import SagaSchedules

/// `saga-bench schedules`: runs the adversarial schedule harness for as long as asked.
struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Runs the six services behind the schedule interposer: seeded schedules of every saga path with "
            + "cancellations, duplicates, reorderings and kills, checking the saga's invariants after each. "
            + "Needs AMQP_URL and DATABASE_URL (eval \"$(scripts/servers.sh start)\"). Exits 1 if an invariant broke.")

    @Option(help: "The seed (default: drawn at random and printed).")
    var seed: UInt64?

    @Option(help: "How many schedules.")
    var count = 1000

    @Option(help: "How many schedules run at once.")
    var concurrency = 8

    @Option(help: "Chance per step that a consuming service is killed (SIGKILL) and started again.")
    var killProbability = 0.002

    @Option(help: "Chance that a delivered event is delivered again later.")
    var duplicateProbability = 0.2

    @Option(parsing: .upToNextOption, help: "Run only these schedule numbers of the seed (a replay).")
    var only: [Int] = []

    func run() async throws {
        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var options = ScheduleOptions()
        options.killProbability = killProbability
        options.duplicateProbability = duplicateProbability
        let campaign = ScheduleCampaign(seed: seed, count: count, concurrency: concurrency, options: options, only: only.isEmpty ? nil : only)
        say("seed \(seed): \(campaign.plans.count) schedules, \(concurrency) at once")
        let system = try await DeliverySystem(environment: ["DRONE_TIME_SCALE": "0", "DELIVERY_JOIN_TIMEOUT_S": "60"], interposed: true)
        let report: CampaignReport
        do {
            let done = Mutex(0)
            report = try await campaign.run(on: system) { result in
                let count = done.withLock { count in
                    count += 1
                    return count
                }
                if !result.violations.isEmpty { say("schedule \(result.plan.index): \(result.violations.count) invariant(s) broken") }
                if count.isMultiple(of: 100) { say("\(count) schedules done") }
            }
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
        say(report.text { plan in
            "swift run saga-bench schedules --seed \(seed) --kill-probability \(killProbability) "
                + "--duplicate-probability \(duplicateProbability) --only \(plan.index)"
        })
        if !report.failures.isEmpty || !report.parked.isEmpty { throw ExitCode(1) }
    }
}

/// Writes a line to standard output at once (unbuffered, so progress shows even in a file).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
