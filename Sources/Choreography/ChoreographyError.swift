/// An error from the choreography runtime: configuration, migrations, handlers and poison input.
public struct ChoreographyError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. A struct of constants, so codes can be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String

        /// A setting is missing or malformed.
        public static let configuration = Code(name: "configuration")
        /// A migration failed or the recorded history disagrees with the code.
        public static let migration = Code(name: "migration")
        /// No handler is registered for an event type the queue delivered.
        public static let noHandler = Code(name: "noHandler")
        /// A handler could not decode the event it was given.
        public static let decoding = Code(name: "decoding")

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

    public var description: String { "\(code): \(message)" }
    public var debugDescription: String { "ChoreographyError(code: \(code), message: \(message), at: \(file):\(line))" }
}
