/// The database's cumulative counters that the load benchmark reads at the start and the end.
package struct DatabaseCounters: Sendable, Hashable {
    /// `xact_commit + xact_rollback` of the database (`pg_stat_database`).
    package var transactions: Int64
    /// The sum of `calls` over the database's `pg_stat_statements` entries; `nil` when unavailable.
    package var statements: Int64?

    /// Counters from their values.
    package init(transactions: Int64, statements: Int64?) {
        self.transactions = transactions
        self.statements = statements
    }

    /// What happened from `start` to `end`, less `own` (the benchmark's own queries, counted in
    /// both); statements only when both ends have them.
    package static func delta(from start: DatabaseCounters, to end: DatabaseCounters, less own: DatabaseCounters) -> DatabaseCounters {
        let statements = start.statements.flatMap { before in end.statements.map { $0 - before - (own.statements ?? 0) } }
        return DatabaseCounters(transactions: end.transactions - start.transactions - own.transactions, statements: statements)
    }

    /// The transactions a system at rest runs at `perSecond` over `seconds` (rounded).
    package static func idleTransactions(perSecond: Double, over seconds: Double) -> Int64 {
        Int64((max(0, perSecond) * max(0, seconds)).rounded())
    }

    /// `value` per saga over `sagas` sagas (0 when none ended).
    package static func perSaga(_ value: Int64, sagas: Int) -> Double {
        sagas > 0 ? Double(value) / Double(sagas) : 0
    }
}
