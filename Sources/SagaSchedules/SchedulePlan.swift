package import Foundation
package import SagaScenarios

/// SplitMix64 (Steele, Lea and Flood): a tiny seedable generator, so that a schedule is a pure
/// function of its seed. Written here because none of the listed packages offers a seedable
/// generator (the standard library's is not seedable).
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole sequence follows from `seed`.
    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `probability`.
    package mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && Double(next() >> 11) / Double(1 << 53) < probability
    }

    /// A number in `0..<bound` (`bound` > 0).
    package mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// How adversarial the schedules are.
package struct ScheduleOptions: Sendable, Hashable {
    /// Chance that a delivered message is delivered again later (a redelivery or a duplicate publish).
    package var duplicateProbability = 0.2
    /// Chance that two copies of a message are delivered at once (racing each other).
    package var twinProbability = 0.05
    /// Share of schedules in which the customer cancels, after a step drawn from the seed.
    package var cancelShare = 0.75
    /// The highest step after which a cancellation is injected.
    package var latestCancelStep = 36
    /// Share of schedules in which the pickup becomes overdue (the delivery service's
    /// `pickup-overdue` deadline is brought forward, as a clock would), after a drawn step.
    package var overdueShare = 0.5
    /// The highest step after which the pickup becomes overdue.
    package var latestOverdueStep = 14
    /// Share of schedules whose pickup is three hours ahead, beyond the allocation lead time (the
    /// drone is allocated on a deadline, which the harness's clock brings forward).
    package var farOffShare = 0.25
    /// Chance, per step, that a consuming service is killed (SIGKILL) and started again.
    package var killProbability = 0.0
    /// The paths the schedules cycle through (a cancellation is injected on top of any of them).
    package var paths: [SagaPath] = SagaPath.allCases.filter { $0 != .cancelled }

    /// The default mix.
    package init() {}
}

/// One schedule: the saga path to submit and, drawn from the seed, whether and after which step
/// the customer cancels. With the seed it also fixes every decision of the run (see
/// ``ScheduleDecider``), so a failing schedule replays from `(seed, index)`.
package struct SchedulePlan: Sendable, Hashable, CustomStringConvertible {
    /// The campaign's seed.
    package let seed: UInt64
    /// This schedule's number in the campaign.
    package let index: Int
    /// The request submitted.
    package let path: SagaPath
    /// After how many deliveries the customer cancels (nil: never).
    package let cancelAfterStep: Int?
    /// After how many deliveries the pickup becomes overdue, at the first step from then on at
    /// which the delivery waits for it (nil: never).
    package let overdueAfterStep: Int?
    /// The pickup is three hours ahead rather than now.
    package let farOffPickup: Bool

    /// The plan of schedule `index` of the campaign seeded `seed`.
    package init(seed: UInt64, index: Int, options: ScheduleOptions) {
        self.seed = seed
        self.index = index
        path = options.paths[index % options.paths.count]
        var random = Self.generator(seed: seed, index: index, stream: 1)
        cancelAfterStep = random.chance(options.cancelShare) ? random.below(options.latestCancelStep + 1) : nil
        var clock = Self.generator(seed: seed, index: index, stream: 3)
        overdueAfterStep = clock.chance(options.overdueShare) ? clock.below(options.latestOverdueStep + 1) : nil
        farOffPickup = clock.chance(options.farOffShare)
    }

    /// How far ahead the pickup is.
    package var pickupAhead: TimeInterval { farOffPickup ? 3 * 3_600 : 0 }

    /// The generator of one stream of decisions of schedule `index` (independent of the others').
    static func generator(seed: UInt64, index: Int, stream: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03) ^ (stream &* 0x8CB9_2BA7_2F3D_8DD7))
        return SplitMix64(seed: mixer.next())
    }

    package var description: String {
        "schedule \(index) of seed \(seed): \(path.rawValue)" + (farOffPickup ? " (pickup in 3 h)" : "") + (cancelAfterStep.map { ", cancel after step \($0)" } ?? "")
            + (overdueAfterStep.map { ", pickup overdue after step \($0)" } ?? "")
    }
}

/// What the interposer does at one step of a schedule.
package struct ScheduleStep: Sendable, Hashable {
    /// Which of the waiting deliveries (message, consumer) goes now.
    package var pick: Int
    /// Keep a copy to deliver again later.
    package var duplicate: Bool
    /// Deliver two copies at once.
    package var twin: Bool
    /// Kill this consuming service and start it again before delivering (nil: none).
    package var kill: String?
}

/// The decisions of one schedule, drawn in order from its seed: given the same waiting
/// deliveries, the same seed always makes the same choices.
package struct ScheduleDecider: Sendable {
    private var random: SplitMix64
    private let options: ScheduleOptions
    /// Services that may be killed.
    package static let killable = ["account", "package", "drone", "delivery", "history"]

    /// The decider of `plan`.
    package init(plan: SchedulePlan, options: ScheduleOptions) {
        random = SchedulePlan.generator(seed: plan.seed, index: plan.index, stream: 2)
        self.options = options
    }

    /// The next step when `waiting` deliveries wait (at least one).
    package mutating func next(waiting: Int) -> ScheduleStep {
        precondition(waiting > 0, "a step needs a waiting delivery")
        let kill = random.chance(options.killProbability) ? Self.killable[random.below(Self.killable.count)] : nil
        return ScheduleStep(
            pick: random.below(waiting), duplicate: random.chance(options.duplicateProbability),
            twin: random.chance(options.twinProbability), kill: kill)
    }
}
