public import Logging
import Synchronization

/// Up to a fixed number of PostgreSQL connections, opened lazily and leased to one task at a time.
///
/// Ownership: one connection = one dedicated thread = one owner at a time. `withConnection`
/// gives its body exclusive use of a connection, on that connection's own thread, and takes it
/// back when the body returns; parallelism comes from several connections, never from sharing
/// one. When all connections are leased, callers wait in FIFO order (cancellable). A connection
/// that broke is discarded and its slot reopened for the next caller; an idle connection found
/// closed by the server (database restart) is reset before it is handed out.
///
/// The pool is a `Sendable` class rather than an actor so a cancelled waiter can leave the queue
/// from its cancellation handler without an unstructured task; its state sits behind a `Mutex`
/// that is only held for bookkeeping, never across an `await` or a libpq call.
public final class PostgresConnectionPool: Sendable {
    /// A snapshot of the pool's counters.
    public struct Statistics: Sendable, Hashable {
        /// Connections open or being opened.
        public var open: Int
        /// Open connections not leased.
        public var idle: Int
        /// Callers waiting for a connection.
        public var waiting: Int
    }

    private enum Grant: Sendable {
        case connection(PostgresConnection)
        /// A slot below the maximum was reserved for the waiter; it opens the connection itself.
        case openSlot
    }

    private struct Waiter: Sendable {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State: Sendable {
        var idle: [PostgresConnection] = []
        var openCount = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false
    }

    /// The URL, application name and maximum number of connections.
    public let configuration: PostgresConfiguration
    private let maximumConnections: Int
    private let logger: Logger
    private let state = Mutex(State())

    /// Makes a pool; no connection is opened until the first lease.
    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "postgres")) {
        self.configuration = configuration
        self.maximumConnections = max(1, configuration.maximumConnections)
        self.logger = logger
    }

    /// Makes a pool for a URL with at most `maximumConnections` connections.
    public convenience init(url: String, maximumConnections: Int, applicationName: String? = nil, logger: Logger = Logger(label: "postgres")) {
        self.init(
            configuration: PostgresConfiguration(url: url, applicationName: applicationName, maximumConnections: maximumConnections),
            logger: logger)
    }

    /// The pool's counters right now.
    public var statistics: Statistics {
        state.withLock { Statistics(open: $0.openCount, idle: $0.idle.count, waiting: $0.waiters.count) }
    }

    /// Leases a connection for `body`, which runs on the connection's own thread with exclusive
    /// use of it; waits (FIFO) while every connection is leased.
    ///
    /// A transaction left open by `body` is rolled back. If `body` throws `.connectionLost`, the
    /// connection is discarded; the error is rethrown and the caller decides whether to retry.
    @discardableResult
    public func withConnection<Value: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await withLease(inTransaction: false, body)
    }

    /// Leases a connection and runs `body` in a transaction on it (see
    /// `PostgresConnection.transaction(_:)`).
    @discardableResult
    public func withTransaction<Value: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await withLease(inTransaction: true, body)
    }

    private func withLease<Value: Sendable>(
        inTransaction: Bool, _ body: @Sendable (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let connection = try await lease()
        let (result, reusable) = await connection.runLease(inTransaction: inTransaction, body)
        await release(connection, reusable: reusable)
        return try result.get()
    }

    /// Closes idle connections and fails waiting callers with `.poolClosed`; leased connections
    /// are closed when they come back. Later leases throw `.poolClosed`.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.isClosed = true
            let idle = state.idle
            state.idle.removeAll()
            state.openCount -= idle.count
            let waiters = state.waiters
            state.waiters.removeAll()
            return (idle, waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closedError()) }
        for connection in idle { await connection.close() }
    }

    // MARK: Leasing

    private func lease() async throws -> PostgresConnection {
        let immediate = try state.withLock { state throws(PostgresError) -> Grant? in
            guard !state.isClosed else { throw Self.closedError() }
            return Self.takeImmediately(&state, maximum: maximumConnections)
        }
        let grant: Grant
        if let immediate { grant = immediate } else { grant = try await waitForGrant() }
        switch grant {
        case .connection(let connection):
            return connection
        case .openSlot:
            return try await openConnection()
        }
    }

    /// An idle connection, or a reserved slot when below the maximum; nil when the caller must wait.
    private static func takeImmediately(_ state: inout State, maximum: Int) -> Grant? {
        if let connection = state.idle.popLast() { return .connection(connection) }
        if state.openCount < maximum {
            state.openCount += 1
            return .openSlot
        }
        return nil
    }

    private func waitForGrant() async throws -> Grant {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let immediate = state.withLock { state -> Result<Grant, any Error>? in
                    if state.isClosed { return .failure(Self.closedError()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let grant = Self.takeImmediately(&state, maximum: maximumConnections) { return .success(grant) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Opens a connection in a slot already reserved; on failure frees the slot for the next waiter.
    private func openConnection() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                url: configuration.url, applicationName: configuration.applicationName, logger: logger)
        } catch {
            let waiter = state.withLock { state -> Waiter? in
                state.openCount -= 1
                guard !state.isClosed, !state.waiters.isEmpty else { return nil }
                state.openCount += 1
                return state.waiters.removeFirst()
            }
            waiter?.continuation.resume(returning: .openSlot)
            throw error
        }
    }

    /// Takes a connection back: hands it to the longest waiter, keeps it idle, or discards it
    /// (broken, or the pool closed) and lets the longest waiter open a replacement.
    private func release(_ connection: PostgresConnection, reusable: Bool) async {
        let (waiter, grant, discard) = state.withLock { state -> (Waiter?, Grant, Bool) in
            if !reusable || state.isClosed {
                state.openCount -= 1
                guard !state.isClosed, !state.waiters.isEmpty else { return (nil, .openSlot, true) }
                state.openCount += 1
                return (state.waiters.removeFirst(), .openSlot, true)
            }
            guard !state.waiters.isEmpty else {
                state.idle.append(connection)
                return (nil, .connection(connection), false)
            }
            return (state.waiters.removeFirst(), .connection(connection), false)
        }
        waiter?.continuation.resume(returning: grant)
        if discard {
            if !reusable {
                logger.info("Postgres connection discarded from the pool", metadata: ["pg.target": "\(connection.target)"])
            }
            await connection.close()
        }
    }

    private static func closedError() -> PostgresError {
        PostgresError(.poolClosed, message: "the connection pool is closed")
    }
}
