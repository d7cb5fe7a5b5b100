import CLibPQ
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The raw libpq `PGconn` with its prepared-statement cache, and every libpq call the client makes.
///
/// Safety invariant (why `@unchecked Sendable` holds): a handle is created by, stored in and used
/// only from one `PostgresConnection` actor, whose executor is a `DedicatedThreadExecutor`. Every
/// method therefore runs on that one thread, one call at a time; the `PGconn` and the mutable
/// state here are never touched by two threads, and never from Swift's cooperative pool. The
/// `PGconn` is finished in `finish()` or `deinit`, after which nothing can reach it.
final class PostgresConnectionHandle: @unchecked Sendable {
    /// A cached prepared statement is keyed by its SQL and the parameter types it was prepared with.
    private struct StatementKey: Hashable {
        let sql: String
        let types: [Oid]
    }

    /// A cached prepared statement: its server-side name and how often it ran under that name.
    private struct PreparedStatement {
        var name: String
        var executions: Int
    }

    /// Beyond this many distinct statements, further ones run unprepared (PQexecParams).
    static let statementCacheCapacity = 512

    /// The executions after which a statement is prepared again, under a new name, so that the
    /// server plans it afresh. PostgreSQL settles on a generic plan at a statement's sixth
    /// execution and keeps it until the tables' statistics change; on a new deployment that plan
    /// was made for nearly empty tables (sequential scans, hash joins) and would stay until
    /// autovacuum's first ANALYZE, up to a minute of load later. The old names are left in place
    /// (at most ``replanAfter``.count more per statement) rather than cost a DEALLOCATE round trip.
    static let replanAfter: Set<Int> = [256, 4096]

    let parameters: PostgresConnectionParameters
    private let notices: PostgresNoticeReceiver
    private var connection: OpaquePointer?
    private var isClosed = false
    private var statements: [StatementKey: PreparedStatement] = [:]
    private var statementCounter = 0
    /// A pipeline could not be left (the server went away mid-way): unusable until reset().
    private var pipelineBroken = false
    /// Channels this connection listens on; re-subscribed after `reset()`.
    private(set) var channels: Set<String> = []

    init(parameters: PostgresConnectionParameters, logger: Logger) {
        self.parameters = parameters
        self.notices = PostgresNoticeReceiver(logger: logger)
    }

    deinit {
        if let connection { PQfinish(connection) }
    }

    // MARK: Connection

    /// Connects (blocking until connected or failed, at most `connect_timeout`).
    func open() throws {
        precondition(connection == nil, "open() on an open connection")
        let newConnection = parameters.withCArrays { keywords, values in PQconnectdbParams(keywords, values, 0) }
        guard let newConnection else {
            throw PostgresError(.connectionFailed, message: "libpq could not allocate a connection to \(parameters.target)")
        }
        guard PQstatus(newConnection) == CONNECTION_OK else {
            let message = libpqMessage(newConnection)
            PQfinish(newConnection)
            throw PostgresError(.connectionFailed, message: "\(message) (\(parameters.target))")
        }
        notices.install(on: newConnection)
        notices.clear()
        connection = newConnection
    }

    /// Closes the connection; later calls throw `.connectionClosed`. Never throws.
    func finish() {
        if let connection { PQfinish(connection) }
        connection = nil
        isClosed = true
        statements.removeAll()
        channels.removeAll()
    }

    /// Reconnects with the same parameters (PQreset), then listens on the same channels again.
    func reset() throws {
        guard let connection else {
            throw PostgresError(.connectionClosed, message: "reset() after close()")
        }
        statements.removeAll()
        PQreset(connection)
        if PQpipelineStatus(connection) != PQ_PIPELINE_OFF { PQexitPipelineMode(connection) }
        pipelineBroken = false
        notices.clear()
        guard PQstatus(connection) == CONNECTION_OK else {
            throw PostgresError(.connectionFailed, message: "\(libpqMessage(connection)) (\(parameters.target))")
        }
        for channel in channels.sorted() {
            try command("LISTEN \(Self.quotedIdentifier(channel))")
        }
    }

    /// Whether libpq last saw the connection healthy (does not touch the network).
    var isConnected: Bool {
        guard let connection, !pipelineBroken else { return false }
        return PQstatus(connection) == CONNECTION_OK
    }

    /// Checks without blocking whether the server closed the connection or announced that it
    /// will (a FATAL message while idle, e.g. after `pg_terminate_backend` or at shutdown), by
    /// reading and parsing whatever the socket has.
    func probe() -> Bool {
        guard let connection, !pipelineBroken, PQstatus(connection) == CONNECTION_OK else { return false }
        for _ in 0..<4 {
            guard Self.waitReadable(PQsocket(connection), milliseconds: 0) else { break }
            if PQconsumeInput(connection) == 0 { return false }
        }
        _ = PQisBusy(connection)  // parses what was read: notifications queue up, notices are received
        return PQstatus(connection) == CONNECTION_OK && notices.closingReason == nil
    }

    /// The session's transaction state as libpq last saw it.
    var transactionState: PostgresTransactionState {
        guard let connection else { return .unknown }
        switch PQtransactionStatus(connection) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failed
        default: return .unknown
        }
    }

    /// The server process serving this connection (0 when not connected).
    var backendPID: Int32 {
        connection.map { PQbackendPID($0) } ?? 0
    }

    // MARK: Statements

    /// Runs a parameterised statement, preparing it once per connection and executing the
    /// prepared statement after that.
    func query(_ sql: String, _ values: [PostgresValue]) throws -> PostgresRows {
        let connection = try liveConnection()
        let key = StatementKey(sql: sql, types: values.map { Oid($0.dataType.oid) })
        return try PostgresParameterBuffer.with(values) { count, cValues in
            if let name = try cachedName(key, connection) {
                do {
                    return try rows(PQexecPrepared(connection, name, count, cValues, nil, nil, 0), sql)
                } catch let error as PostgresError where isStalePreparedStatement(error) {
                    // DDL changed the statement's result type, or DISCARD / DEALLOCATE dropped it:
                    // outside a transaction, prepare it again and retry once.
                    if error.sqlState == "26000" { statements.removeAll() } else { statements[key] = nil }
                    guard PQtransactionStatus(connection) == PQTRANS_IDLE else { throw error }
                }
            }
            guard statements.count < Self.statementCacheCapacity else {
                return try key.types.withUnsafeBufferPointer { types in
                    try rows(PQexecParams(connection, sql, count, types.baseAddress, cValues, nil, nil, 0), sql)
                }
            }
            let name = try prepare(key, connection)
            return try rows(PQexecPrepared(connection, name, count, cValues, nil, nil, 0), sql)
        }
    }

    /// Sends `before` (a parameterless command such as BEGIN), the statements and `after` (such
    /// as COMMIT) in one pipeline — one round trip — and returns each statement's rows, in order.
    /// The first error among them is thrown once all results are read (the server skips the rest).
    func queryPipelined(
        before: String?, _ statements: [(sql: String, values: [PostgresValue])], after: String?
    ) throws -> [PostgresRows] {
        precondition(!statements.isEmpty, "a pipeline sends at least one statement")
        let connection = try liveConnection()
        var names: [String] = []
        for statement in statements {
            guard let name = try preparedName(statement.sql, statement.values, connection) else {
                // The statement cache is full: run them one by one instead.
                if let before { try command(before) }
                let rows = try statements.map { statement in try query(statement.sql, statement.values) }
                if let after { try command(after) }
                return rows
            }
            names.append(name)
        }
        guard PQenterPipelineMode(connection) == 1 else { throw failure(nil, context: "entering pipeline mode") }
        defer {
            // A pipeline that cannot be left (its results never all came: the server went away
            // mid-way) leaves the session unusable until reset().
            if PQexitPipelineMode(connection) != 1 { pipelineBroken = true }
        }
        // What was sent, in order: a command text, or the index of a statement.
        var sent: [(context: String, statement: Int?)] = []
        if let before {
            guard PQsendQueryParams(connection, before, 0, nil, nil, nil, nil, 0) == 1 else { throw failure(nil, context: before) }
            sent.append((before, nil))
        }
        for (index, statement) in statements.enumerated() {
            let ok = try PostgresParameterBuffer.with(statement.values) { count, cValues in
                PQsendQueryPrepared(connection, names[index], count, cValues, nil, nil, 0)
            }
            guard ok == 1 else { throw failure(nil, context: statement.sql) }
            sent.append((statement.sql, index))
        }
        if let after {
            guard PQsendQueryParams(connection, after, 0, nil, nil, nil, nil, 0) == 1 else { throw failure(nil, context: after) }
            sent.append((after, nil))
        }
        guard PQpipelineSync(connection) == 1 else { throw failure(nil, context: statements.last!.sql) }
        var firstError: (any Error)?
        var statementRows = [PostgresRows?](repeating: nil, count: statements.count)
        for (context, statement) in sent {
            while let result = PQgetResult(connection) {
                if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                    PQclear(result)
                    continue
                }
                do {
                    let resultRows = try rows(result, context)
                    if let statement { statementRows[statement] = resultRows }
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
        }
        if let sync = PQgetResult(connection) { PQclear(sync) }  // PGRES_PIPELINE_SYNC
        if let firstError { throw firstError }
        return try statementRows.enumerated().map { index, rows in
            guard let rows else { throw failure(nil, context: statements[index].sql) }
            return rows
        }
    }

    /// The prepared statement's name (preparing it on first use), or nil when the cache is full.
    private func preparedName(_ sql: String, _ values: [PostgresValue], _ connection: OpaquePointer) throws -> String? {
        let key = StatementKey(sql: sql, types: values.map { Oid($0.dataType.oid) })
        if let name = try cachedName(key, connection) { return name }
        guard statements.count < Self.statementCacheCapacity else { return nil }
        return try prepare(key, connection)
    }

    /// The cached statement's name for one more execution (prepared afresh at the counts of
    /// ``replanAfter``), or nil when it is not cached.
    private func cachedName(_ key: StatementKey, _ connection: OpaquePointer) throws -> String? {
        guard var statement = statements[key] else { return nil }
        statement.executions += 1
        if Self.replanAfter.contains(statement.executions) {
            let executions = statement.executions
            statement.name = try prepare(key, connection)
            statement.executions = executions
        }
        statements[key] = statement
        return statement.name
    }

    /// Prepares the statement under a new name and caches it; returns the name.
    private func prepare(_ key: StatementKey, _ connection: OpaquePointer) throws -> String {
        statementCounter += 1
        let name = "fabrikam_s\(statementCounter)"
        _ = try key.types.withUnsafeBufferPointer { types in
            try rows(PQprepare(connection, name, key.sql, Int32(key.types.count), types.baseAddress), key.sql)
        }
        statements[key] = PreparedStatement(name: name, executions: 1)
        return name
    }

    /// Runs SQL without parameters through the simple-query protocol; it may hold several
    /// statements (run in one implicit transaction), and the last one's rows are returned.
    @discardableResult
    func command(_ sql: String) throws -> PostgresRows {
        let connection = try liveConnection()
        return try rows(PQexec(connection, sql), sql)
    }

    private func isStalePreparedStatement(_ error: PostgresError) -> Bool {
        error.code == .server
            && (error.sqlState == "26000" || (error.sqlState == "0A000" && error.message.contains("cached plan")))
    }

    // MARK: LISTEN / NOTIFY

    /// Subscribes to a channel (the name is quoted, so it is case-sensitive).
    func listen(_ channel: String) throws {
        try command("LISTEN \(Self.quotedIdentifier(channel))")
        channels.insert(channel)
    }

    /// Unsubscribes from a channel.
    func unlisten(_ channel: String) throws {
        try command("UNLISTEN \(Self.quotedIdentifier(channel))")
        channels.remove(channel)
    }

    /// Unsubscribes from every channel.
    func unlistenAll() throws {
        try command("UNLISTEN *")
        channels.removeAll()
    }

    /// Returns the notifications already received, or waits up to `timeout` for at least one.
    func notifications(timeout: Duration) throws -> [PostgresNotification] {
        let connection = try liveConnection()
        let deadline = ContinuousClock.now + timeout
        while true {
            guard PQconsumeInput(connection) == 1 else {
                throw failure(nil, context: "waiting for notifications")
            }
            let received = takeNotifications(connection)
            if !received.isEmpty { return received }
            _ = try liveConnection()  // throws once the server announced it is closing the session
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return [] }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            _ = Self.waitReadable(PQsocket(connection), milliseconds: Int32(clamping: max(1, milliseconds)))
        }
    }

    private func takeNotifications(_ connection: OpaquePointer) -> [PostgresNotification] {
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(connection) {
            received.append(PostgresNotification(
                channel: String(cString: notify.pointee.relname),
                payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
                senderPID: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        return received
    }

    /// Waits until the socket is readable or the time is up; true when readable (or on error,
    /// so the caller's next libpq read reports the problem).
    private static func waitReadable(_ socket: Int32, milliseconds: Int32) -> Bool {
        guard socket >= 0 else { return true }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        while true {
            let status = poll(&descriptor, 1, milliseconds)
            if status < 0 && errno == EINTR { continue }
            return status != 0
        }
    }

    // MARK: Results and errors

    private func liveConnection() throws -> OpaquePointer {
        guard let connection else {
            throw PostgresError(
                isClosed ? .connectionClosed : .connectionLost,
                message: isClosed ? "the connection was closed" : "the connection is not open")
        }
        guard PQstatus(connection) == CONNECTION_OK, notices.closingReason == nil, !pipelineBroken else {
            let reason = notices.closingReason.map { " (the server said: \($0))" } ?? ""
            throw PostgresError(.connectionLost, message: "the connection to \(parameters.target) is broken\(reason); reset() it")
        }
        return connection
    }

    /// Copies a result into Swift memory and clears it, or turns it into a `PostgresError`.
    private func rows(_ result: OpaquePointer?, _ sql: String) throws -> PostgresRows {
        guard let result else { throw failure(nil, context: sql) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(storage: Self.copy(result))
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(status)
            throw PostgresError(.unsupported, message: "COPY is not supported by this client", query: sql)
        default:
            throw failure(result, context: sql)
        }
    }

    /// Leaves COPY mode so the connection stays usable.
    private func abandonCopy(_ status: ExecStatusType) {
        guard let connection else { return }
        if status == PGRES_COPY_IN {
            _ = PQputCopyEnd(connection, "COPY FROM STDIN is not supported by this client")
        } else {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(connection, &buffer, 0) > 0 {
                PQfreemem(buffer)
                buffer = nil
            }
        }
        while let result = PQgetResult(connection) { PQclear(result) }
    }

    private static func copy(_ result: OpaquePointer) -> PostgresResultStorage {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { index in
            PostgresColumn(
                name: String(cString: PQfname(result, Int32(index))),
                dataType: PostgresDataType(oid: UInt32(PQftype(result, Int32(index)))))
        }
        var bytes: [UInt8] = []
        var cells: [PostgresResultStorage.CellRange] = []
        cells.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    cells.append(.init(offset: 0, length: -1))
                    continue
                }
                let length = Int(PQgetlength(result, row, column))
                cells.append(.init(offset: bytes.count, length: length))
                if length > 0, let value = PQgetvalue(result, row, column) {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: value, count: length))
                }
            }
        }
        let commandTag = String(cString: PQcmdStatus(result))
        let affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResultStorage(
            columns: columns, rowCount: rowCount, commandTag: commandTag, affectedRows: affectedRows,
            bytes: bytes, cells: cells)
    }

    /// The error for a failed result (or a missing one): `.connectionLost` when the connection
    /// broke, `.server` otherwise, with the server's SQLSTATE and fields.
    private func failure(_ result: OpaquePointer?, context: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let lost = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        var fullMessage = field("M")
        if fullMessage == nil, let result, let text = PQresultErrorMessage(result), text.pointee != 0 {
            fullMessage = String(cString: text)
        }
        if fullMessage == nil, let connection { fullMessage = libpqFullMessage(connection) }
        let text = fullMessage ?? "unknown error"
        let message = PostgresConnectionParameters.firstLine(text)
        var detail = field("D")
        if detail == nil, message != text.trimmingCharacters(in: .whitespacesAndNewlines) {
            detail = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return PostgresError(
            lost ? .connectionLost : .server,
            message: lost ? "\(message)\(notices.closingReason.map { " after: \($0)" } ?? "") (\(parameters.target))" : message,
            sqlState: field("C"),
            severity: field("V") ?? field("S"),
            detail: detail,
            hint: field("H"),
            constraint: field("n"),
            query: context)
    }

    private func libpqFullMessage(_ connection: OpaquePointer) -> String {
        parameters.scrub(PQerrorMessage(connection).map { String(cString: $0) } ?? "")
    }

    /// libpq's connection-level message, first line only, without the password.
    private func libpqMessage(_ connection: OpaquePointer) -> String {
        let text = libpqFullMessage(connection)
        return text.isEmpty ? "unknown libpq error" : Self.condensed(text)
    }

    /// Joins libpq's multi-line messages into one line.
    private static func condensed(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// `"name"` with embedded quotes doubled: safe to splice into LISTEN and UNLISTEN.
    static func quotedIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
