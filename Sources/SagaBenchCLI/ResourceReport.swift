import Foundation
import SagaLoadMeasures

/// How a ``ResourceMeter/Usage`` is printed: per saga, for people and as `key=value` fields.
enum ResourceReport {
    /// What each server group covers.
    static let notes = ["rabbitmq": "the broker process and its children", "postgres": "the postmaster and every backend"]

    /// The lines for people: CPU per saga per group and in all, then SQL per saga.
    static func lines(_ usage: ResourceMeter.Usage, sagas: Int, groups: [String], database: String, exclusion: String) -> [String] {
        var lines = ["CPU per saga over the run (\(format(usage.seconds, 1)) s; /proc utime+stime, sampled at its start and end):"]
        var total = 0.0
        for group in groups {
            let name = group.padding(toLength: 10, withPad: " ", startingAt: 0)
            guard let cpu = usage.cpu[group], !usage.missing.contains(group) else {
                lines.append("  \(name)  not found (no process)")
                continue
            }
            total += cpu.seconds
            var line = "  \(name) \(format(CPUUsage.millisecondsPerSaga(cpu.seconds, sagas: sagas), 2, width: 8)) ms  (\(format(cpu.seconds, 2)) s)"
            if let note = notes[group] { line += "  \(note)" }
            if cpu.exitedMembers > 0 { line += "  [\(cpu.exitedMembers) process(es) exited: their share is missing]" }
            if cpu.startedMembers > 0 { line += "  [\(cpu.startedMembers) process(es) started during the run]" }
            lines.append(line)
        }
        let all = "all".padding(toLength: 10, withPad: " ", startingAt: 0)
        lines.append("  \(all) \(format(CPUUsage.millisecondsPerSaga(total, sagas: sagas), 2, width: 8)) ms  (\(format(total, 2)) s)")
        let transactions = format(DatabaseCounters.perSaga(usage.counters.transactions, sagas: sagas), 1)
        let idle = usage.idleTransactionsPerSecond > 0
            ? "less the idle system's \(format(usage.idleTransactionsPerSecond, 1))/s measured before the run"
            : "the services' own in those seconds included"
        let transactionSource = "pg_stat_database xact_commit + xact_rollback, read \(format(usage.settleSeconds, 0)) s after the run "
            + "as idle backends publish late, \(idle)"
        if let statements = usage.counters.statements {
            lines.append("SQL per saga: \(format(DatabaseCounters.perSaga(statements, sagas: sagas), 1)) statements (pg_stat_statements calls), "
                + "\(transactions) transactions (\(transactionSource)), database \(database); \(exclusion)")
        } else {
            lines.append("SQL per saga: \(transactions) transactions (\(transactionSource)), database \(database); \(exclusion)")
            lines.append(DatabaseCounterReader.unavailable)
        }
        return lines
    }

    /// The same figures as `key=value` fields: `cpu_ms_per_saga.<group>`, `statements_per_saga`, `transactions_per_saga`.
    static func fields(_ usage: ResourceMeter.Usage, sagas: Int, groups: [String]) -> [String] {
        var fields: [String] = []
        var total = 0.0
        for group in groups where !usage.missing.contains(group) {
            let seconds = usage.cpu[group]?.seconds ?? 0
            total += seconds
            fields.append("cpu_ms_per_saga.\(group)=\(format(CPUUsage.millisecondsPerSaga(seconds, sagas: sagas), 2))")
        }
        fields.append("cpu_ms_per_saga.all=\(format(CPUUsage.millisecondsPerSaga(total, sagas: sagas), 2))")
        fields.append("statements_per_saga=" + (usage.counters.statements.map { format(DatabaseCounters.perSaga($0, sagas: sagas), 1) } ?? "unavailable"))
        fields.append("transactions_per_saga=\(format(DatabaseCounters.perSaga(usage.counters.transactions, sagas: sagas), 1))")
        return fields
    }

    /// `value` with `decimals` decimals, right-aligned in `width` characters.
    static func format(_ value: Double, _ decimals: Int, width: Int = 0) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
