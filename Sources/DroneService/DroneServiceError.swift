/// An error of the drone service: a stored row the service cannot read (a setting that cannot be
/// used is a ``SettingError``).
public struct DroneServiceError: Error, CustomStringConvertible {
    /// What kind of error it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let name: String

        /// A row of the service's tables holds a value the service does not know.
        public static let unexpectedState = Code(name: "unexpectedState")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of error it is.
    public var code: Code
    /// What is wrong.
    public var message: String
    /// Where it was raised.
    public var file: String
    /// Where it was raised.
    public var line: Int

    /// An error with its code and message.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// The message.
    public var description: String { message }
}
