/// An error from saga-inspect's library: what kind of failure, in words free of secrets, and
/// where it was raised.
public struct SagaInspectError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. A struct of constants, so codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String

        /// An argument is malformed (a schema name, a delivery id, a time).
        public static let invalidArgument = Code(name: "invalidArgument")
        /// A row could not be read as saga-inspect expects (a column of an unexpected type).
        public static let unreadableRow = Code(name: "unreadableRow")
        /// A table saga-inspect needs is missing (the service's schema is not migrated).
        public static let notMigrated = Code(name: "notMigrated")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, for people.
    public var message: String
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: Int

    /// Makes an error; `file` and `line` default to the caller's position.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { message }
    public var debugDescription: String { "SagaInspectError(code: \(code), message: \(message), at: \(file):\(line))" }
}
