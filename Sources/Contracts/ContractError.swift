/// The one error type of the Contracts module: why a message, a payload or a schema was refused.
///
/// `description` is short and holds no message content; `debugDescription` adds every schema
/// violation with its JSON pointer and where the error was raised.
public struct ContractError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. A struct of constants rather than an enum, so codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name, suitable for logs, metrics and dead-letter reasons.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The message body is not JSON (or not UTF-8).
        public static let notJSON = Code("notJSON")
        /// The envelope names an event type for which no schema exists.
        public static let unknownType = Code("unknownType")
        /// The event type is known but not in the envelope's version.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// The envelope or its `data` breaks its JSON Schema; ``ContractError/violations`` says where.
        public static let schemaViolation = Code("schemaViolation")
        /// The envelope's producer is not the service that owns the event type.
        public static let unexpectedProducer = Code("unexpectedProducer")
        /// A typed payload was asked for with a Swift type of another event type or version.
        public static let payloadTypeMismatch = Code("payloadTypeMismatch")
        /// The message's routing key or AMQP properties contradict its envelope (type, id, delivery).
        public static let messageMismatch = Code("messageMismatch")
        /// The envelope's producer is not who published the message (its broker-validated AMQP `user_id`).
        public static let forgedProducer = Code("forgedProducer")
        /// A payload could not be encoded as JSON (a non-finite number, for instance).
        public static let unencodablePayload = Code("unencodablePayload")
        /// A schema-valid payload did not decode into its Swift type (the two disagree).
        public static let undecodablePayload = Code("undecodablePayload")
        /// A schema document could not be compiled (unknown keyword, bad value, unresolved `$ref`).
        public static let invalidSchema = Code("invalidSchema")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A one-line explanation without message content.
    public var message: String
    /// Every schema violation found, each with its JSON pointer; empty for other codes.
    public var violations: [SchemaViolation]
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int

    /// Creates an error; `file` and `line` default to the caller's position.
    public init(
        _ code: Code,
        _ message: String,
        violations: [SchemaViolation] = [],
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.violations = violations
        self.file = file
        self.line = line
    }

    /// A short summary: the code, the message and the number of violations.
    public var description: String {
        violations.isEmpty
            ? "ContractError.\(code): \(message)"
            : "ContractError.\(code): \(message) (\(violations.count) violation\(violations.count == 1 ? "" : "s"))"
    }

    /// The summary, every violation on its own line, and the raising source position.
    public var debugDescription: String {
        var text = description + " [at \(file):\(line)]"
        for violation in violations { text += "\n  " + violation.description }
        return text
    }
}
