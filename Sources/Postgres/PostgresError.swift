/// An error from the Postgres client: what kind of failure, the server's SQLSTATE and message when
/// the server reported it, and where in the client it was raised.
///
/// `description` is short and never contains the password or parameter values; `debugDescription`
/// adds the server's detail (which can quote row values), hint, constraint and SQL text.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. A struct of constants, so codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String

        /// The connection URL could not be parsed.
        public static let invalidURL = Code(name: "invalidURL")
        /// Connecting (or reconnecting with `reset()`) failed: refused, unreachable, authentication.
        public static let connectionFailed = Code(name: "connectionFailed")
        /// An open connection broke (backend terminated, server restarted, network failure).
        /// Reconnect with `reset()` or take another connection.
        public static let connectionLost = Code(name: "connectionLost")
        /// The connection was used after `close()`.
        public static let connectionClosed = Code(name: "connectionClosed")
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code(name: "server")
        /// A column could not be decoded as the requested Swift type, was NULL, or does not exist.
        public static let decoding = Code(name: "decoding")
        /// A parameter cannot be sent (for example text containing a NUL byte).
        public static let invalidParameter = Code(name: "invalidParameter")
        /// A transaction was misused: nested, owned by another task, or aborted before COMMIT.
        public static let transactionState = Code(name: "transactionState")
        /// The server answered with something this client does not handle (for example COPY).
        public static let unsupported = Code(name: "unsupported")
        /// The connection pool was closed.
        public static let poolClosed = Code(name: "poolClosed")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The server's primary message, or the client's own description of the failure.
    public var message: String
    /// The five-character SQLSTATE, e.g. "23505" for a unique violation.
    public var sqlState: String?
    /// The server's severity, e.g. "ERROR" or "FATAL".
    public var severity: String?
    /// The server's detail line; may quote row values, so it only appears in `debugDescription`.
    public var detail: String?
    /// The server's hint.
    public var hint: String?
    /// The constraint that was violated, if any.
    public var constraint: String?
    /// The SQL text that failed (never the parameter values).
    public var query: String?
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: Int

    /// Makes an error; `file` and `line` default to the caller's position.
    public init(
        _ code: Code,
        message: String,
        sqlState: String? = nil,
        severity: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        constraint: String? = nil,
        query: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.query = query
        self.file = file
        self.line = line
    }

    /// SQLSTATE 23505: a unique or primary-key constraint rejected a duplicate.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// SQLSTATE 23503: a foreign-key constraint rejected the change.
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    /// SQLSTATE 40001: a serializable transaction must be retried.
    public var isSerializationFailure: Bool { sqlState == "40001" }
    /// SQLSTATE 40P01: the server broke a deadlock by aborting this transaction.
    public var isDeadlock: Bool { sqlState == "40P01" }
    /// Whether the connection is unusable and must be reset or replaced.
    public var isConnectionError: Bool {
        code == .connectionLost || code == .connectionFailed || code == .connectionClosed
            // The server is ending the session (57P01 admin shutdown, 57P02 crash shutdown,
            // 57P03 cannot connect now) or the link failed (class 08).
            || sqlState.map { $0.hasPrefix("57P") || $0.hasPrefix("08") } == true
    }

    public var description: String {
        var text = "Postgres \(code)"
        if let sqlState { text += " \(sqlState)" }
        return text + ": \(message)"
    }

    public var debugDescription: String {
        var parts = ["PostgresError(code: \(code)", "message: \(message)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        if let severity { parts.append("severity: \(severity)") }
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let query { parts.append("query: \(query)") }
        parts.append("at: \(file):\(line))")
        return parts.joined(separator: ", ")
    }
}
