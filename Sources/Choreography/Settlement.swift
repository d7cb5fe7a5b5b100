/// How handling one delivery turned out.
enum HandlingOutcome {
    /// Committed; these outbox rows are to be published.
    case handled(type: String, outbox: [OutboxRow])
    /// Already in the inbox: nothing was done.
    case duplicate(type: String)
    /// The handler failed; it may succeed on another attempt.
    case failed(type: String, error: String)
    /// It can never succeed (not JSON, unknown type, no handler, …): `reason` says why.
    case poison(reason: String, error: String)
    /// The database connection was lost: the delivery waits for it.
    case databaseUnavailable
}

/// What becomes of one delivery once its batch was handled: the runtime's ack / retry / park
/// rule, as a pure function of the outcome, the attempt and the retry policy.
enum Settlement: Equatable {
    /// Done (handled, or a duplicate): acknowledge.
    case acknowledge
    /// Failed with attempts left: a copy goes to the delay queue of `attempt`, then acknowledge.
    case retry(attempt: Int, error: String)
    /// Never to succeed, or out of attempts: a copy goes to the parking queue with the reason,
    /// then acknowledge.
    case park(reason: String, attempt: Int, error: String)
    /// The database is unavailable: keep it in hand, neither acknowledged nor requeued.
    case keep

    /// The settlement of `outcome` for a delivery on its `attempt`-th attempt.
    static func of(_ outcome: HandlingOutcome, attempt: Int, policy: RetryPolicy) -> Settlement {
        switch outcome {
        case .handled, .duplicate:
            .acknowledge
        case .failed(_, let error):
            policy.allowsRetry(afterAttempt: attempt)
                ? .retry(attempt: attempt, error: error) : .park(reason: "retries-exhausted", attempt: attempt, error: error)
        case .poison(let reason, let error):
            .park(reason: reason, attempt: attempt, error: error)
        case .databaseUnavailable:
            .keep
        }
    }

    /// Whether the delivery is acknowledged, given whether the broker confirmed the copies the
    /// settlements asked for (a delivery whose copy is not safe stays in hand, so it is not lost).
    func acknowledges(copiesConfirmed: Bool) -> Bool {
        switch self {
        case .acknowledge: true
        case .retry, .park: copiesConfirmed
        case .keep: false
        }
    }
}
