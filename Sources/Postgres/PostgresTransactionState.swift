/// Where a session is with respect to transaction blocks.
enum PostgresTransactionState {
    /// Not in a transaction block.
    case idle
    /// A command is running.
    case active
    /// Inside a transaction block.
    case inTransaction
    /// Inside a transaction block in which a statement failed; only ROLLBACK works.
    case failed
    /// The connection is broken or closed.
    case unknown
}
