import Postgres

/// When an event's own transaction is done again at once: the database ended it to break a
/// deadlock or a serialization conflict (it chose a victim; the handler did not fail), at most
/// `limit` times. Beyond that, or for any other error, the failure goes through the retry policy.
enum ConflictRedo {
    static let limit = 3

    /// Whether the database ended the transaction to break a deadlock or a serialization conflict.
    static func endedByConflict(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isDeadlock || error.isSerializationFailure
    }

    /// Whether to do the transaction again after `error`, having done it again `redone` times already.
    static func again(after error: any Error, redone: Int) -> Bool {
        endedByConflict(error) && redone < limit
    }
}
