/// An error from saga-inspect's library: what kind of failure, in words free of secrets, and
/// where it was raised.
package struct SagaInspectError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. A struct of constants, so codes can be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        package let name: String

        /// An argument is malformed (a schema name, a delivery id, a time).
        package static let invalidArgument = Code(name: "invalidArgument")
        /// A row could not be read as saga-inspect expects (a column of an unexpected type).
        package static let unreadableRow = Code(name: "unreadableRow")
        /// A table saga-inspect needs is missing (the service's schema is not migrated).
        package static let notMigrated = Code(name: "notMigrated")

        package var description: String { name }
    }

    /// What kind of failure this is.
    package var code: Code
    /// What went wrong, for people.
    package var message: String
    /// Where the error was raised.
    package var file: String
    /// Where the error was raised.
    package var line: Int

    /// Makes an error; `file` and `line` default to the caller's position.
    package init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    package var description: String { message }
    package var debugDescription: String { "SagaInspectError(code: \(code), message: \(message), at: \(file):\(line))" }
}
