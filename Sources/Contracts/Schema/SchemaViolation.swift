/// One way an instance breaks a schema: where in the instance, which keyword, and why.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// The JSON pointer (RFC 6901) of the offending value in the validated document; `""` is the
    /// whole document. For `required` it is the object missing the member; for a member that
    /// `additionalProperties: false` forbids it is that member.
    public var instanceLocation: String
    /// The keyword that failed, such as `required`, `type`, `maximum` or `additionalProperties`.
    public var keyword: String
    /// The absolute location of the failing keyword: the schema's `$id`, `#`, and a JSON pointer.
    public var schemaLocation: String
    /// A human explanation that names the constraint but does not repeat the offending value.
    public var message: String

    /// Creates a violation.
    public init(instanceLocation: String, keyword: String, schemaLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keyword = keyword
        self.schemaLocation = schemaLocation
        self.message = message
    }

    /// `pointer: message (keyword)`, with `/` for the document itself.
    public var description: String {
        "\(instanceLocation.isEmpty ? "/" : instanceLocation): \(message) (\(keyword))"
    }
}
