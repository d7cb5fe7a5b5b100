/// The CPU clock ticks of named groups of processes at one moment: per group (a service, the
/// broker, the database), per member process (for a server, its root process with its whole tree).
package struct CPUSnapshot: Sendable, Hashable {
    /// Ticks per member pid, per group name.
    package var ticks: [String: [Int32: UInt64]]

    /// A snapshot from its ticks.
    package init(ticks: [String: [Int32: UInt64]] = [:]) {
        self.ticks = ticks
    }
}

/// The CPU one group used between two snapshots.
package struct CPUGroupUsage: Sendable, Hashable {
    /// CPU seconds (user + system).
    package var seconds: Double
    /// Members present at the start and gone at the end: what they used since the start is missing.
    package var exitedMembers: Int
    /// Members that appeared during the interval: counted whole, start-up included.
    package var startedMembers: Int

    /// A usage from its fields.
    package init(seconds: Double, exitedMembers: Int = 0, startedMembers: Int = 0) {
        self.seconds = seconds
        self.exitedMembers = exitedMembers
        self.startedMembers = startedMembers
    }
}

/// CPU arithmetic between two snapshots.
package enum CPUUsage {
    /// The seconds each group used from `start` to `end` (every group of either snapshot), with
    /// `ticksPerSecond` clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux). A member in
    /// both counts its difference, one that appeared counts whole, one that exited counts nothing.
    package static func usage(from start: CPUSnapshot, to end: CPUSnapshot, ticksPerSecond: Double) -> [String: CPUGroupUsage] {
        var result: [String: CPUGroupUsage] = [:]
        for group in Set(start.ticks.keys).union(end.ticks.keys) {
            let before = start.ticks[group] ?? [:]
            let after = end.ticks[group] ?? [:]
            var ticks: UInt64 = 0
            var started = 0
            for (pid, now) in after {
                if let then = before[pid] {
                    ticks += now >= then ? now - then : 0
                } else {
                    ticks += now
                    started += 1
                }
            }
            let exited = before.keys.filter { after[$0] == nil }.count
            result[group] = CPUGroupUsage(seconds: Double(ticks) / ticksPerSecond, exitedMembers: exited, startedMembers: started)
        }
        return result
    }

    /// Milliseconds per saga of `seconds` over `sagas` sagas (0 when no saga ended).
    package static func millisecondsPerSaga(_ seconds: Double, sagas: Int) -> Double {
        sagas > 0 ? seconds * 1000 / Double(sagas) : 0
    }
}
