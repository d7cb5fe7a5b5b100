/// A checked SQL identifier (schema or role name) that is safe to place in SQL text.
///
/// Values always travel as parameters; identifiers cannot, so they are restricted to
/// `[a-z_][a-z0-9_]{0,62}`.
public struct SQLIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// The identifier.
    public let name: String

    /// Checks a name; throws `ChoreographyError` with code `.configuration` if it is not plain.
    public init(_ name: String) throws {
        let valid = !name.isEmpty && name.count <= 63
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !("0"..."9").contains(name.unicodeScalars.first!)
        guard valid else {
            throw ChoreographyError(.configuration, "'\(name)' is not a plain SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)")
        }
        self.name = name
    }

    public var description: String { name }
}
