/// An error of the drone service: a setting that cannot be used (the service refuses to start),
/// or a stored row the service cannot read.
package struct DroneServiceError: Error, CustomStringConvertible {
    /// What kind of error it is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        package let name: String

        /// A setting (`DRONE_FLEET`, `DRONE_HOME`, `DRONE_TIME_SCALE`) is malformed or out of range.
        package static let invalidSetting = Code(name: "invalidSetting")
        /// A row of the service's tables holds a value the service does not know.
        package static let unexpectedState = Code(name: "unexpectedState")

        /// The code's name.
        package var description: String { name }
    }

    /// What kind of error it is.
    package var code: Code
    /// What is wrong, naming the setting and its value.
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

    /// The message (settings hold no secrets).
    package var description: String { message }
}
