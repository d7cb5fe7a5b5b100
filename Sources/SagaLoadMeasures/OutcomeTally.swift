/// How the sagas of a run ended: the count per path and terminal stage, and how many ended in a
/// stage their path does not expect or did not end.
package struct OutcomeTally: Sendable, Hashable {
    /// A path and the stage its saga ended in (`nil`: did not end).
    package struct Key: Sendable, Hashable, Comparable {
        /// The path's name, e.g. `completed`.
        package var path: String
        /// History's terminal stage, e.g. `Compensated`; `nil` for a saga that did not end.
        package var stage: String?

        /// A key from its parts.
        package init(path: String, stage: String?) {
            self.path = path
            self.stage = stage
        }

        /// Orders by path, then stage (not ended last).
        package static func < (a: Key, b: Key) -> Bool {
            (a.path, a.stage ?? "\u{10FFFF}") < (b.path, b.stage ?? "\u{10FFFF}")
        }
    }

    /// Sagas per path and stage.
    package private(set) var counts: [Key: Int] = [:]
    /// Sagas that ended in a stage their path does not expect.
    package private(set) var unexpected = 0
    /// Sagas that did not end.
    package private(set) var notEnded = 0

    /// An empty tally.
    package init() {}

    /// Counts one saga of `path` that ended in `stage` (`nil`: not ended) where `expected` are the stages its path may end in.
    package mutating func add(path: String, stage: String?, expected: Set<String>) {
        counts[Key(path: path, stage: stage), default: 0] += 1
        guard let stage else {
            notEnded += 1
            return
        }
        if !expected.contains(stage) { unexpected += 1 }
    }

    /// Sagas per terminal stage, whatever their path.
    package var perStage: [String: Int] {
        counts.reduce(into: [:]) { totals, entry in
            if let stage = entry.key.stage { totals[stage, default: 0] += entry.value }
        }
    }
}
