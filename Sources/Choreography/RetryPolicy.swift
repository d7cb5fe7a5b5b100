/// How often and how long to wait before a failed event is tried again, before it is parked.
///
/// Attempt 1 is the first delivery. After failed attempt `n` (for `n < maximumAttempts`) the
/// message waits `delay(afterAttempt: n)` in a delay queue, then returns to the work queue.
/// Keys (environment): `RETRY_MAX_ATTEMPTS` (default 5), `RETRY_INITIAL_DELAY_MS` (default
/// 1000), `RETRY_MULTIPLIER` (default 4), `RETRY_MAX_DELAY_MS` (default 300000).
public struct RetryPolicy: Sendable, Hashable {
    /// Deliveries in all, the first included, before the message is parked.
    public var maximumAttempts: Int
    /// Wait after the first failure.
    public var initialDelay: Duration
    /// Growth factor of the wait per further failure.
    public var multiplier: Int
    /// The longest wait.
    public var maximumDelay: Duration

    /// Defaults: 5 attempts, waits of 1 s, 4 s, 16 s, 64 s.
    public init(maximumAttempts: Int = 5, initialDelay: Duration = .seconds(1), multiplier: Int = 4, maximumDelay: Duration = .seconds(300)) {
        precondition(maximumAttempts >= 1, "at least one attempt")
        precondition(multiplier >= 1, "the multiplier must be at least 1")
        self.maximumAttempts = maximumAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
    }

    /// The wait after failed attempt `attempt` (1-based), growing exponentially up to the maximum.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(1, attempt) {
            delay = delay * multiplier
            if delay >= maximumDelay { return maximumDelay }
        }
        return min(delay, maximumDelay)
    }

    /// Whether a message that failed attempt `attempt` gets another one.
    public func allowsRetry(afterAttempt attempt: Int) -> Bool {
        attempt < maximumAttempts
    }
}
