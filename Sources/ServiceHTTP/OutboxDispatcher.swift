import Choreography
import Logging
import Postgres
import ServiceLifecycle

/// The fast path for events committed by HTTP command transactions (`ServiceDatabase`): the
/// request is answered right after the commit, and this service publishes the rows in the
/// background (the outbox sweeper deletes the confirmed ones). While the broker is down the rows simply wait in
/// the outbox, where the relay finds them; a full buffer leaves the newest to the relay too, so
/// nothing is lost and no HTTP request waits on the broker.
final class OutboxDispatcher: Service, Sendable {
    private let stream: AsyncStream<[OutboxRow]>
    private let continuation: AsyncStream<[OutboxRow]>.Continuation
    private let outbox: OutboxPublisher
    private let logger: Logger

    init(outbox: OutboxPublisher, logger: Logger, buffer: Int = 10_000) {
        (stream, continuation) = AsyncStream.makeStream(of: [OutboxRow].self, bufferingPolicy: .bufferingOldest(buffer))
        self.outbox = outbox
        self.logger = logger
    }

    /// Hands committed rows to the background publisher; never waits.
    func submit(_ rows: [OutboxRow]) {
        guard !rows.isEmpty else { return }
        if case .dropped = continuation.yield(rows) {
            logger.info("fast-path buffer full; the outbox relay will publish", metadata: ["outbox.rows": "\(rows.count)"])
        }
    }

    func run() async throws {
        // On graceful shutdown (after the HTTP server stopped) publish what is buffered, then end.
        await withGracefulShutdownHandler {
            for await rows in stream {
                await outbox.publishCommittedOrLeaveToRelay(rows, logger: logger)
            }
        } onGracefulShutdown: { [continuation] in
            continuation.finish()
        }
    }
}
