/// One process's CPU clock ticks as `/proc/<pid>/stat` reports them.
package struct ProcessTimes: Sendable, Hashable {
    /// The process id.
    package var pid: Int32
    /// The command name (`comm`, at most 15 characters), e.g. `postgres` or `beam.smp`.
    package var command: String
    /// The parent's process id.
    package var parentPid: Int32
    /// Ticks spent in user mode (`utime`).
    package var userTicks: UInt64
    /// Ticks spent in kernel mode (`stime`).
    package var systemTicks: UInt64
    /// Ticks of the children it has waited for, user mode (`cutime`).
    package var reapedChildrenUserTicks: UInt64
    /// Ticks of the children it has waited for, kernel mode (`cstime`).
    package var reapedChildrenSystemTicks: UInt64

    /// A record from its fields.
    package init(
        pid: Int32, command: String, parentPid: Int32, userTicks: UInt64, systemTicks: UInt64,
        reapedChildrenUserTicks: UInt64 = 0, reapedChildrenSystemTicks: UInt64 = 0
    ) {
        self.pid = pid
        self.command = command
        self.parentPid = parentPid
        self.userTicks = userTicks
        self.systemTicks = systemTicks
        self.reapedChildrenUserTicks = reapedChildrenUserTicks
        self.reapedChildrenSystemTicks = reapedChildrenSystemTicks
    }

    /// `utime + stime`: the process's own CPU ticks.
    package var ownTicks: UInt64 { userTicks + systemTicks }

    /// The process's own ticks plus those of the children it has reaped.
    package var ticksWithReapedChildren: UInt64 { ownTicks + reapedChildrenUserTicks + reapedChildrenSystemTicks }

    /// Parses the one line of `/proc/<pid>/stat`; `nil` if it is not that format. The command name
    /// is between the first `(` and the last `)` and may hold spaces or parentheses.
    package static func parse(stat line: String) -> ProcessTimes? {
        guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close,
              let pid = Int32(line[..<open].trimmingCharacters(in: " "))
        else { return nil }
        let command = String(line[line.index(after: open)..<close])
        // After ")": field 3 (state) onwards; utime..cstime are fields 14..17, ppid is field 4.
        let fields = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 15, let parent = Int32(fields[1]),
              let user = UInt64(fields[11]), let system = UInt64(fields[12]),
              let childrenUser = UInt64(fields[13]), let childrenSystem = UInt64(fields[14])
        else { return nil }
        return ProcessTimes(
            pid: pid, command: command, parentPid: parent, userTicks: user, systemTicks: system,
            reapedChildrenUserTicks: childrenUser, reapedChildrenSystemTicks: childrenSystem)
    }

    /// The member of `pids` whose parent is not one of them (the server process that forked the
    /// others holding its listening socket); `nil` when there is none or several.
    package static func topmost(of pids: Set<Int32>, in processes: [ProcessTimes]) -> Int32? {
        let parents = Dictionary(processes.map { ($0.pid, $0.parentPid) }, uniquingKeysWith: { first, _ in first })
        let roots = pids.filter { pid in parents[pid].map { !pids.contains($0) } ?? false }
        return roots.count == 1 ? roots.first : nil
    }

    /// The CPU ticks of the tree rooted at `root` among `processes`: every live member's own
    /// ticks and the ticks of the children each has reaped (a backend that exited during a run
    /// moves from its own line into its parent's reaped ticks, so deltas stay whole).
    package static func treeTicks(root: Int32, in processes: [ProcessTimes]) -> UInt64? {
        let children = Dictionary(grouping: processes, by: \.parentPid)
        guard let top = processes.first(where: { $0.pid == root }) else { return nil }
        var total: UInt64 = 0
        var pending = [top]
        while let process = pending.popLast() {
            total += process.ticksWithReapedChildren
            pending += children[process.pid] ?? []
        }
        return total
    }
}

extension StringProtocol {
    /// The text without `character` at either end.
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        let text = self[...]
        guard let first = text.firstIndex(where: { $0 != character }) else { return "" }
        let last = text.lastIndex(where: { $0 != character })!
        return Substring(text[first...last])
    }
}
