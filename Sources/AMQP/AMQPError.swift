/// An error from the AMQP client: what failed, the broker's reply code and text when the broker
/// closed the channel or connection, and rabbitmq-c's status when the library failed.
public struct AMQPError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. A struct of constants, so codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// Whether the connection is unusable after this failure and must be re-established.
        public let closesConnection: Bool

        /// The URL could not be parsed.
        public static let invalidURL = Code(name: "invalidURL", closesConnection: false)
        /// The TCP connection, the AMQP handshake or the login failed.
        public static let connectionFailed = Code(name: "connectionFailed", closesConnection: true)
        /// The broker closed the connection (connection.close with a reply code).
        public static let connectionClosed = Code(name: "connectionClosed", closesConnection: true)
        /// The socket failed or the peer went away without a close (including missed heartbeats).
        public static let connectionLost = Code(name: "connectionLost", closesConnection: true)
        /// The broker closed the channel (channel.close with a reply code, e.g. 404 NOT_FOUND).
        public static let channelClosed = Code(name: "channelClosed", closesConnection: false)
        /// The broker cancelled a consumer (basic.cancel: its queue was deleted); the channel and
        /// connection stay usable, and the owner declares the queue and consumes again.
        public static let consumerCancelled = Code(name: "consumerCancelled", closesConnection: false)
        /// An operation did not complete in time.
        public static let timeout = Code(name: "timeout", closesConnection: false)
        /// The connection was used after `close()` or a fatal error.
        public static let notConnected = Code(name: "notConnected", closesConnection: true)
        /// rabbitmq-c reported a protocol or library failure.
        public static let protocolError = Code(name: "protocolError", closesConnection: true)

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What the client was doing, e.g. "queue.declare 'orders'".
    public var context: String
    /// The AMQP reply code from channel.close / connection.close (404, 406, 320, ...).
    public var replyCode: UInt16?
    /// The AMQP reply text, e.g. "NOT_FOUND - no exchange 'x' in vhost '/'".
    public var replyText: String?
    /// rabbitmq-c's status code (negative `amqp_status_enum`), when the library failed.
    public var libraryStatus: Int32?
    /// rabbitmq-c's description of `libraryStatus`.
    public var libraryMessage: String?
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: Int

    /// Makes an error; `file` and `line` default to the caller's position.
    public init(
        _ code: Code,
        context: String,
        replyCode: UInt16? = nil,
        replyText: String? = nil,
        libraryStatus: Int32? = nil,
        libraryMessage: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.context = context
        self.replyCode = replyCode
        self.replyText = replyText
        self.libraryStatus = libraryStatus
        self.libraryMessage = libraryMessage
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "AMQP \(code) during \(context)"
        if let replyCode { text += ": \(replyCode) \(replyText ?? "")" }
        else if let libraryMessage { text += ": \(libraryMessage)" }
        return text
    }

    public var debugDescription: String {
        var parts = ["AMQPError(code: \(code), context: \(context)"]
        if let replyCode { parts.append("replyCode: \(replyCode)") }
        if let replyText { parts.append("replyText: \(replyText)") }
        if let libraryStatus { parts.append("libraryStatus: \(libraryStatus)") }
        if let libraryMessage { parts.append("libraryMessage: \(libraryMessage)") }
        parts.append("at: \(file):\(line))")
        return parts.joined(separator: ", ")
    }
}
