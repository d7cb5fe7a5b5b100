/// A set of JSON Schema (draft 2020-12) documents compiled together, so `$ref`s between them
/// resolve; compile once, then validate as often as needed from any thread.
///
/// Supported keywords: `$schema`, `$id` (document roots), `$defs`, `$ref` (JSON-pointer fragments,
/// within a file and across files by `$id` or relative file name), `type`, `enum`, `const`,
/// `format` (`uuid`, `date-time`; asserted), `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minLength`, `maxLength` (in Unicode scalars), `pattern` (ICU syntax via
/// `NSRegularExpression`, an unanchored search as in ECMA-262; only `\n` ends a line, and, unlike
/// ECMA-262 but like Python's `re`, `$` also matches before a final `\n`), `required`, `properties`,
/// `additionalProperties`, `items`, `minItems`, `maxItems`, `allOf`, `anyOf`, `oneOf`, and the
/// annotations `title`, `description`, `examples`, `default`, `$comment`. Any other keyword is a
/// compile error.
public struct SchemaSet: Sendable {
    private let storage: CompiledSchemas

    /// Compiles the documents; throws ``ContractError/Code/invalidSchema`` listing every problem
    /// (unknown keyword, unsupported format, malformed value, unresolved `$ref`).
    public init(_ documents: [SchemaDocument]) throws(ContractError) {
        let output = try SchemaCompiler.compile(documents)
        storage = CompiledSchemas(
            nodes: output.nodes, locations: output.locations, roots: output.roots,
            documents: documents)
    }

    /// The documents of the set.
    public var documents: [SchemaDocument] { storage.documents }

    /// The schema a name designates: a document's path (`events/package.created.v1.json`) or
    /// `$id`, optionally followed by `#` and a JSON pointer to a compiled subschema
    /// (`common.v1.json#/$defs/geoLocation`).
    public func schema(_ name: String) -> JSONSchema? {
        if let root = storage.roots[name] { return JSONSchema(storage: storage, root: root) }
        let (resource, fragment) = SchemaURI.split(name)
        if let node = storage.locations[resource + "#" + (fragment ?? "")] {
            return JSONSchema(storage: storage, root: node)
        }
        return nil
    }
}

/// The compiled node table shared, immutably, by a ``SchemaSet`` and its ``JSONSchema``s.
final class CompiledSchemas: Sendable {
    let evaluator: SchemaEvaluator
    let locations: [String: Int]
    let roots: [String: Int]
    let documents: [SchemaDocument]

    init(nodes: [SchemaNode], locations: [String: Int], roots: [String: Int], documents: [SchemaDocument]) {
        evaluator = SchemaEvaluator(nodes: nodes)
        self.locations = locations
        self.roots = roots
        self.documents = documents
    }
}

/// One compiled schema of a ``SchemaSet``: validates instances and reports every violation.
public struct JSONSchema: Sendable {
    let storage: CompiledSchemas
    let root: Int

    /// The schema's absolute location (`$id#pointer`).
    public var location: String { storage.evaluator.node(root).location }

    /// Every violation of this schema by `instance`, in document order per keyword; empty when valid.
    public func validate(_ instance: JSONValue) -> [SchemaViolation] {
        var path: [JSONPointer.Component] = []
        var violations: [SchemaViolation] = []
        storage.evaluator.evaluate(root, instance, &path, &violations)
        return violations
    }

    /// Every violation by an instance that sits at `location` inside a larger document, reported
    /// with pointers from that document's root (for example `/data/...` for an envelope's payload).
    public func validate(_ instance: JSONValue, at location: [JSONPointer.Component]) -> [SchemaViolation] {
        var path = location
        var violations: [SchemaViolation] = []
        storage.evaluator.evaluate(root, instance, &path, &violations)
        return violations
    }

    /// Whether `instance` satisfies the schema.
    public func isValid(_ instance: JSONValue) -> Bool { validate(instance).isEmpty }
}
