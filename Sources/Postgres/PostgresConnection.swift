import DedicatedThread
public import Logging
import Synchronization

/// One PostgreSQL session over libpq, with parameterised queries, transactions and LISTEN/NOTIFY.
///
/// Threading: the actor runs on its own `DedicatedThreadExecutor`, so every libpq call — the
/// blocking connect, every statement, the wait for notifications — happens on that one OS thread,
/// never on Swift's cooperative pool, and the `PGconn` is never used by two threads. One
/// connection serves one owner at a time; for parallelism use several connections, normally
/// leased from a `PostgresConnectionPool`.
///
/// Statements are prepared once per connection and SQL text and then executed as prepared
/// statements (prepared again after their 256th and 4096th executions, so the server re-plans
/// them for tables that have grown since). A broken connection throws `PostgresError` with code `.connectionLost`; `reset()`
/// reconnects it.
public actor PostgresConnection {
    private let executor: DedicatedThreadExecutor
    private let handle: PostgresConnectionHandle
    private let logger: Logger
    /// The token of the transaction `transaction(_:)` has open, if any.
    private var openTransaction: UInt64?
    /// `transaction()` began, but BEGIN waits to travel with the first statement.
    private var pendingBegin = false
    /// Statements of the open transaction queued by `executeDeferred` and `queryDeferred`, sent
    /// with the next one; `result` receives the rows of those queued by `queryDeferred`.
    private var deferred: [(sql: String, values: [PostgresValue], result: DeferredRows?)] = []
    /// `queryAndCommit` already committed the open transaction.
    private var committedEarly = false

    /// Tokens of the transactions the current task (and its child tasks) opened.
    @TaskLocal private static var ownedTransactions: [UInt64] = []
    private static let transactionTokens = Atomic<UInt64>(0)

    /// The connection's own dedicated thread: every isolated method, and so every libpq call, runs there.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    private init(parameters: PostgresConnectionParameters, logger: Logger) {
        self.executor = DedicatedThreadExecutor(name: "postgres \(parameters.target)")
        self.handle = PostgresConnectionHandle(parameters: parameters, logger: logger)
        self.logger = logger
    }

    isolated deinit {
        handle.finish()
        executor.shutdown()
    }

    /// Connects to the database at a libpq URL (`postgresql://user:password@host:port/db`);
    /// throws `PostgresError` with `.invalidURL` or `.connectionFailed`.
    public static func connect(
        url: String, applicationName: String? = nil, logger: Logger = Logger(label: "postgres")
    ) async throws -> PostgresConnection {
        let parameters = try PostgresConnectionParameters(url: url, applicationName: applicationName)
        let connection = PostgresConnection(parameters: parameters, logger: logger)
        try await connection.open()
        return connection
    }

    /// Connects with a configuration's URL and application name.
    public static func connect(
        _ configuration: PostgresConfiguration, logger: Logger = Logger(label: "postgres")
    ) async throws -> PostgresConnection {
        try await connect(url: configuration.url, applicationName: configuration.applicationName, logger: logger)
    }

    private func open() throws {
        try handle.open()
        logger.debug("Postgres connected", metadata: ["pg.target": "\(handle.parameters.target)", "pg.pid": "\(handle.backendPID)"])
    }

    // MARK: State

    /// `postgresql://user@host:port/database` (no password).
    public nonisolated var target: String { handle.parameters.target }

    /// Whether the connection is usable: checks without blocking whether the server closed it.
    public var isConnected: Bool { handle.probe() }

    /// The server process ID serving this session (what `pg_terminate_backend` takes).
    public var backendPID: Int32 { handle.backendPID }

    /// Whether the session is inside a transaction block (opened by `transaction` or by SQL).
    public var isInTransaction: Bool {
        if pendingBegin { return true }
        let state = handle.transactionState
        return state == .inTransaction || state == .failed
    }

    /// Reconnects with the same parameters after the connection was lost (for example after a
    /// database restart) and listens on the same channels again; throws `.connectionFailed`.
    public func reset() throws {
        openTransaction = nil
        try handle.reset()
        logger.info("Postgres connection reset", metadata: ["pg.target": "\(target)", "pg.pid": "\(handle.backendPID)"])
    }

    /// Closes the session. Later calls throw `.connectionClosed`; the thread ends when the
    /// connection is released.
    public func close() {
        openTransaction = nil
        handle.finish()
    }

    // MARK: Statements

    /// Runs one statement with `$1`, `$2`, ... parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
        try checkTransactionOwner()
        try checkNotCommittedEarly()
        guard pendingBegin || !deferred.isEmpty else { return try handle.query(sql, parameters) }
        // The transaction's BEGIN and deferred statements travel with this one: one round trip.
        return try sendPipelined(sql, parameters, after: nil)
    }

    /// Queues a statement whose result the transaction does not need (an INSERT, an UPDATE) to
    /// travel with the transaction's next statement or its COMMIT, so several statements cost one
    /// round trip. If it fails, that next call throws its error and the transaction rolls back.
    /// Only inside `transaction`.
    public func executeDeferred(_ sql: String, _ parameters: [PostgresValue] = []) throws {
        try checkTransactionOwner()
        try checkNotCommittedEarly()
        guard let openTransaction, Self.ownedTransactions.contains(openTransaction) else {
            throw PostgresError(.transactionState, message: "executeDeferred(_:_:) outside transaction()")
        }
        deferred.append((sql, parameters, nil))
    }

    /// Queues a statement like `executeDeferred`, for one whose rows are needed after it was
    /// sent: they are in the returned `DeferredRows` once the transaction's next statement or
    /// COMMIT has run. A batch of such statements costs one round trip. Only inside `transaction`.
    public func queryDeferred(_ sql: String, _ parameters: [PostgresValue] = []) throws -> DeferredRows {
        try executeDeferred(sql, parameters)
        let result = DeferredRows()
        deferred[deferred.count - 1].result = result
        return result
    }

    /// Sends the pending BEGIN and deferred statements, then `sql`, then `after`, in one pipeline.
    private func sendPipelined(_ sql: String, _ parameters: [PostgresValue], after: String?) throws -> PostgresRows {
        try sendPipelined((sql, parameters, nil), after: after)
    }

    /// Sends the pending BEGIN and deferred statements, then `last`, then `after`, in one
    /// pipeline; hands each deferred query its rows and returns `last`'s.
    private func sendPipelined(_ last: (sql: String, values: [PostgresValue], result: DeferredRows?), after: String?) throws -> PostgresRows {
        let before = pendingBegin ? "BEGIN" : nil
        let queued = deferred + [last]
        pendingBegin = false
        deferred = []
        let results = try handle.queryPipelined(before: before, queued.map { ($0.sql, $0.values) }, after: after)
        for (statement, rows) in zip(queued, results) { statement.result?.fill(rows) }
        return results[results.count - 1]
    }

    /// Runs one statement with parameters and returns how many rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int {
        try query(sql, parameters).affectedRows
    }

    /// Runs the last statement of the enclosing `transaction` together with its COMMIT, in one
    /// round trip; the transaction then ends when `body` returns (further statements in it are
    /// refused). If the statement or the COMMIT fails, the error is thrown and nothing is committed.
    @discardableResult
    public func queryAndCommit(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
        try checkTransactionOwner()
        try checkNotCommittedEarly()
        guard openTransaction != nil, Self.ownedTransactions.contains(openTransaction!) else {
            throw PostgresError(.transactionState, message: "queryAndCommit(_:_:) outside transaction()")
        }
        let rows = try sendPipelined(sql, parameters, after: "COMMIT")
        committedEarly = true
        return rows
    }

    /// Runs parameterless SQL that may hold several statements (migrations); returns the last
    /// statement's rows. Unless the SQL has its own BEGIN/COMMIT, all of it is one transaction.
    @discardableResult
    public func simpleQuery(_ sql: String) throws -> PostgresRows {
        try checkTransactionOwner()
        try checkNotCommittedEarly()
        try flushPending()
        return try handle.command(sql)
    }

    /// Runs `body` on this connection's own thread with the connection isolated: a loop of
    /// statements or transactions inside it makes no thread hop between them.
    public func withIsolation<Value: Sendable>(_ body: @Sendable (isolated PostgresConnection) async throws -> Value) async rethrows -> Value {
        try await body(self)
    }

    // MARK: Transactions

    /// Runs `body` in a transaction on this connection's thread: BEGIN, then COMMIT when it
    /// returns, ROLLBACK (and rethrow) when it throws.
    ///
    /// Throws `.transactionState` when called inside another transaction on this connection, or
    /// when a statement failed inside `body` but `body` still returned (the server then rolled
    /// back). A COMMIT that fails (for example a serialization failure) throws its server error.
    @discardableResult
    public func transaction<Value: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) async throws -> Value
    ) async throws -> Value {
        if let openTransaction {
            let nested = Self.ownedTransactions.contains(openTransaction)
            throw PostgresError(
                .transactionState,
                message: nested
                    ? "transaction() called inside a transaction on the same connection; nested transactions are not supported"
                    : "the connection is inside another task's transaction; lease connections from a pool instead of sharing one")
        }
        guard handle.isConnected else {
            throw PostgresError(.connectionLost, message: "the connection to the server is lost; reset() it or open another")
        }
        guard handle.transactionState == .idle else {
            if handle.transactionState == .active || handle.transactionState == .unknown {
                throw PostgresError(.connectionLost, message: "the session is stuck mid-command; reset() it or open another")
            }
            throw PostgresError(.transactionState, message: "transaction() called while the session is already inside a transaction block")
        }
        // BEGIN is sent with the first statement (see `query`); a body that runs none costs nothing.
        pendingBegin = true
        committedEarly = false
        let token = Self.transactionTokens.add(1, ordering: .relaxed).newValue
        openTransaction = token
        defer {
            openTransaction = nil
            pendingBegin = false
            deferred = []
            committedEarly = false
        }
        let value: Value
        do {
            value = try await Self.$ownedTransactions.withValue(Self.ownedTransactions + [token]) {
                try await body(self)
            }
        } catch {
            rollBack()
            throw error
        }
        if handle.transactionState == .failed {
            rollBack()
            throw PostgresError(
                .transactionState,
                message: "a statement failed inside the transaction; it was rolled back instead of committed")
        }
        if committedEarly { return value }
        if let last = deferred.popLast() {
            // Deferred statements still queued: they, and the COMMIT, go in one round trip.
            do {
                _ = try sendPipelined(last, after: "COMMIT")
            } catch {
                rollBack()
                throw error
            }
            return value
        }
        if pendingBegin { return value }
        let tag = try handle.command("COMMIT").commandTag
        guard tag == "COMMIT" else {
            throw PostgresError(.transactionState, message: "COMMIT answered \(tag); the transaction was rolled back")
        }
        return value
    }

    /// Best-effort ROLLBACK after a failure; its own failure (a lost connection) is only logged.
    private func rollBack() {
        guard handle.isConnected, handle.transactionState != .idle else { return }
        do {
            try handle.command("ROLLBACK")
        } catch {
            logger.debug("Postgres ROLLBACK failed", metadata: [
                "pg.target": "\(target)", "pg.sqlstate": "\((error as? PostgresError)?.sqlState ?? "")", "error.message": "\(error)",
            ])
        }
    }

    /// Sends the open transaction's deferred BEGIN and statements, for statements that cannot carry them.
    private func flushPending() throws {
        if let last = deferred.popLast() {
            _ = try sendPipelined(last, after: nil)
        } else if pendingBegin {
            pendingBegin = false
            try handle.command("BEGIN")
        }
    }

    /// Refuses statements after `queryAndCommit` ended the transaction they would belong to.
    private func checkNotCommittedEarly() throws {
        guard committedEarly else { return }
        throw PostgresError(.transactionState, message: "the transaction was already committed by queryAndCommit(_:_:)")
    }

    /// Refuses statements from a task that does not own the open transaction, so two tasks
    /// sharing a connection cannot interleave statements inside one transaction.
    private func checkTransactionOwner() throws {
        guard let openTransaction, !Self.ownedTransactions.contains(openTransaction) else { return }
        throw PostgresError(
            .transactionState,
            message: "the connection is inside another task's transaction; lease connections from a pool instead of sharing one")
    }

    // MARK: LISTEN / NOTIFY

    /// Subscribes this session to a channel (case-sensitive); notifications are read with
    /// `notifications(timeout:)`. Kept across `reset()`.
    public func listen(_ channel: String) throws {
        try checkTransactionOwner()
        try checkNotCommittedEarly()
        try flushPending()
        try handle.listen(channel)
    }

    /// Unsubscribes from a channel.
    public func unlisten(_ channel: String) throws {
        try checkTransactionOwner()
        try checkNotCommittedEarly()
        try flushPending()
        try handle.unlisten(channel)
    }

    /// Sends a notification (`pg_notify`); inside a transaction it is delivered at COMMIT.
    public func notify(_ channel: String, payload: String = "") throws {
        try checkTransactionOwner()
        _ = try query("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    /// Returns the notifications received so far, or waits up to `timeout` for at least one
    /// (empty on timeout). Other calls on this connection wait meanwhile, so use a connection
    /// dedicated to listening and keep `timeout` short enough to notice shutdown.
    public func notifications(timeout: Duration) throws -> [PostgresNotification] {
        try handle.notifications(timeout: timeout)
    }

    // MARK: Pool support

    /// Runs a pool lease's body on this connection's thread, then readies the connection for the
    /// next owner in the same hop: rolls back a transaction left open and drops subscriptions.
    /// A connection found broken before the body runs is reset first; with `inTransaction` the
    /// body runs inside `transaction(_:)`.
    package func runLease<Value: Sendable>(
        inTransaction: Bool, _ body: @Sendable (isolated PostgresConnection) async throws -> Value
    ) async -> (result: Result<Value, any Error>, reusable: Bool) {
        if !handle.probe() {
            do {
                try reset()
            } catch {
                return (.failure(error), false)
            }
        }
        let result: Result<Value, any Error>
        do {
            result = .success(inTransaction ? try await transaction(body) : try await body(self))
        } catch {
            result = .failure(error)
        }
        return (result, readyForNextLease())
    }

    private func readyForNextLease() -> Bool {
        guard handle.isConnected else { return false }
        do {
            if handle.transactionState != .idle {
                logger.debug("Postgres lease returned inside a transaction; rolling back", metadata: ["pg.target": "\(target)"])
                try handle.command("ROLLBACK")
            }
            if !handle.channels.isEmpty { try handle.unlistenAll() }
            return handle.transactionState == .idle
        } catch {
            return false
        }
    }
}
