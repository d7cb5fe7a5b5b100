/// One JSON Schema file: its path relative to the `schemas/` folder and its parsed content.
///
/// The path names the file for relative `$ref`s when the schema has no `$id`, and is how
/// ``SchemaSet/schema(_:)`` finds it (besides its `$id`).
public struct SchemaDocument: Sendable, Hashable {
    /// The file's path relative to `schemas/`, with `/` separators (`events/package.created.v1.json`).
    public var path: String
    /// The parsed schema.
    public var content: JSONValue

    /// A document from parsed content.
    public init(path: String, content: JSONValue) {
        self.path = path
        self.content = content
    }

    /// A document from JSON text; throws ``ContractError/Code/notJSON`` if the text is not JSON.
    public init(path: String, text: String) throws(ContractError) {
        self.init(path: path, content: try JSONValue(parsing: text))
    }

    /// The document's `$id` without a trailing empty fragment, if it declares one.
    public var id: String? {
        content["$id"]?.stringValue.map { SchemaURI.split($0).resource }
    }

    /// The `file:` URI standing for the document's path, the base for documents without `$id`.
    var fileURI: String { "file:///" + path }
}
