import Synchronization

/// The rows of a statement queued with `PostgresConnection.queryDeferred`: readable once the
/// statement has been sent, with the transaction's next statement or its COMMIT.
public final class DeferredRows: Sendable {
    private let storage = Mutex<PostgresRows?>(nil)

    init() {}

    /// The statement's rows; throws `.transactionState` while it has not been sent yet (or when
    /// its pipeline failed, in which case the transaction threw that error).
    public var rows: PostgresRows {
        get throws {
            guard let rows = storage.withLock({ $0 }) else {
                throw PostgresError(
                    .transactionState,
                    message: "the deferred statement has not run yet; its rows come with the transaction's next statement or COMMIT")
            }
            return rows
        }
    }

    func fill(_ rows: PostgresRows) {
        storage.withLock { $0 = rows }
    }
}
