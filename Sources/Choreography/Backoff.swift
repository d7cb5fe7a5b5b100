import AMQP
import Postgres

/// Retrying with exponential backoff (100 ms, doubling to 5 s), the one policy the runtime uses
/// to wait for a broker or database that is not there yet or has gone away.
enum Backoff {
    /// Runs `operation` until it succeeds (its value), `keepTrying` turns false or the task is
    /// cancelled (nil), or it throws an error `isPermanent` accepts (rethrown). `onFailure` sees
    /// every other error before the wait.
    static func retry<T>(
        while keepTrying: () -> Bool = { true },
        isPermanent: (any Error) -> Bool = isConfigurationError,
        onFailure: (any Error) -> Void = { _ in },
        _ operation: () async throws -> T
    ) async throws -> T? {
        var delay = Duration.milliseconds(100)
        while keepTrying() && !Task.isCancelled {
            do {
                return try await operation()
            } catch where isPermanent(error) {
                throw error
            } catch {
                onFailure(error)
                try? await Task.sleep(for: delay)
                delay = min(.seconds(5), delay * 2)
            }
        }
        return nil
    }

    /// A malformed URL: waiting will not mend it.
    static func isConfigurationError(_ error: any Error) -> Bool {
        (error as? AMQPError)?.code == .invalidURL || (error as? PostgresError)?.code == .invalidURL
    }
}
