/// An error of the drone service: a stored row the service cannot read (a setting that cannot be
/// used is a ``SettingError``).
package struct DroneServiceError: Error, CustomStringConvertible {
    /// What kind of error it is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        package let name: String

        /// A row of the service's tables holds a value the service does not know.
        package static let unexpectedState = Code(name: "unexpectedState")

        /// The code's name.
        package var description: String { name }
    }

    /// What kind of error it is.
    package var code: Code
    /// What is wrong.
    package var message: String
    /// Where it was raised.
    package var file: String
    /// Where it was raised.
    package var line: Int

    /// An error with its code and message.
    package init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// The message.
    package var description: String { message }
}
