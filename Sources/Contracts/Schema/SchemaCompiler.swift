import Foundation

/// Turns schema documents into the node table the validator walks, refusing anything it would not
/// enforce: an unknown keyword, an unsupported `format`, a malformed keyword value or a `$ref`
/// that resolves to nothing is a compile problem, never silently ignored.
struct SchemaCompiler {
    /// The dialect every document must declare, if it declares one.
    static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// Keywords that only annotate and are accepted anywhere.
    static let annotations: Set<String> = ["title", "description", "examples", "$comment", "default"]

    /// The compiled tables.
    struct Output {
        var nodes: [SchemaNode]
        /// Compiled schema locations: `<$id or file URI or path>#<pointer>` → node.
        var locations: [String: Int]
        /// Each document's root node, by path.
        var roots: [String: Int]
    }

    private struct Resource {
        var document: SchemaDocument
        var baseURI: String
    }

    private var resources: [Resource] = []
    private var resourceByURI: [String: Int] = [:]
    private var nodes: [SchemaNode] = []
    private var nodeByLocation: [String: Int] = [:]
    private var pendingRefs: [(node: Int, resource: Int, pointer: String, reference: String)] = []
    private var problems: [SchemaViolation] = []

    /// Compiles every document from its root; throws ``ContractError/Code/invalidSchema`` listing
    /// every problem, each located by a JSON pointer into its document.
    static func compile(_ documents: [SchemaDocument]) throws(ContractError) -> Output {
        var compiler = SchemaCompiler()
        for document in documents { compiler.register(document) }
        var roots: [String: Int] = [:]
        for index in compiler.resources.indices {
            roots[compiler.resources[index].document.path] = compiler.compile(
                compiler.resources[index].document.content, resource: index, path: [])
        }
        compiler.resolveReferences()
        guard compiler.problems.isEmpty else {
            throw ContractError(
                .invalidSchema,
                "\(compiler.problems.count) schema problem\(compiler.problems.count == 1 ? "" : "s"): "
                    + compiler.problems[0].description,
                violations: compiler.problems)
        }
        var locations: [String: Int] = [:]
        for (key, node) in compiler.nodeByLocation {
            let separator = key.firstIndex(of: "#")!
            let resource = compiler.resources[Int(key[..<separator])!]
            let pointer = String(key[key.index(after: separator)...])
            locations[resource.baseURI + "#" + pointer] = node
            locations[resource.document.path + "#" + pointer] = node
            locations[resource.document.fileURI + "#" + pointer] = node
        }
        return Output(nodes: compiler.nodes, locations: locations, roots: roots)
    }

    private mutating func register(_ document: SchemaDocument) {
        let index = resources.count
        var base = document.fileURI
        if let id = document.id {
            if SchemaURI.hasScheme(id) {
                base = id
            } else {
                problem(document, "", "$id", "$id must be an absolute URI")
            }
        }
        resources.append(Resource(document: document, baseURI: base))
        for uri in Set([base, document.fileURI]) {
            if let existing = resourceByURI[uri] {
                problem(document, "", "$id", "\(uri) is also the URI of \(resources[existing].document.path)")
            }
            resourceByURI[uri] = index
        }
    }

    private mutating func problem(_ document: SchemaDocument, _ pointer: String, _ keyword: String, _ message: String) {
        problems.append(
            SchemaViolation(
                instanceLocation: pointer, keyword: keyword, schemaLocation: document.path + "#" + pointer,
                message: message))
    }

    private mutating func compile(_ value: JSONValue, resource: Int, path: [String]) -> Int {
        let pointer = JSONPointer.string(path.map { .key($0) })
        let key = "\(resource)#\(pointer)"
        if let existing = nodeByLocation[key] { return existing }
        let index = nodes.count
        nodes.append(SchemaNode(location: resources[resource].baseURI + "#" + pointer))
        nodeByLocation[key] = index
        var node = nodes[index]
        let document = resources[resource].document

        func fail(_ keyword: String, _ message: String) {
            problem(document, pointer + "/" + JSONPointer.escape(keyword), keyword, message)
        }

        switch value {
        case .bool(let accepts):
            node.rejectsEverything = !accepts
        case .object(let keywords):
            for (keyword, argument) in keywords.sorted(by: { $0.key < $1.key }) {
                let keywordPath = path + [keyword]
                if Self.annotations.contains(keyword) { continue }
                switch keyword {
                case "$schema":
                    if !path.isEmpty {
                        fail(keyword, "$schema is only allowed at a document's root")
                    } else if argument.stringValue.map({ SchemaURI.split($0).resource }) != Self.dialect {
                        fail(keyword, "only the 2020-12 dialect (\(Self.dialect)) is supported")
                    }
                case "$id":
                    if !path.isEmpty { fail(keyword, "$id is only supported at a document's root") }
                case "$defs":
                    guard case .object(let definitions) = argument else {
                        fail(keyword, "$defs must be an object")
                        continue
                    }
                    for (name, definition) in definitions.sorted(by: { $0.key < $1.key }) {
                        _ = compile(definition, resource: resource, path: keywordPath + [name])
                    }
                case "$ref":
                    guard let reference = argument.stringValue else {
                        fail(keyword, "$ref must be a string")
                        continue
                    }
                    pendingRefs.append((index, resource, pointer, reference))
                case "type":
                    let names: [JSONValue] = argument.arrayValue ?? [argument]
                    var types: JSONTypeSet = []
                    for name in names {
                        guard let text = name.stringValue, let type = JSONTypeSet.names.first(where: { $0.0 == text })
                        else {
                            fail(keyword, "type must name JSON types (null, boolean, object, array, number, string, integer)")
                            continue
                        }
                        types.insert(type.1)
                    }
                    if names.isEmpty { fail(keyword, "type must not be empty") }
                    node.types = types
                case "enum":
                    guard let values = argument.arrayValue, !values.isEmpty else {
                        fail(keyword, "enum must be a non-empty array")
                        continue
                    }
                    node.enumValues = values
                case "const":
                    node.constValue = argument
                case "format":
                    guard let name = argument.stringValue, let format = StringFormat(rawValue: name) else {
                        fail(keyword, "unsupported format (supported: uuid, date-time)")
                        continue
                    }
                    node.format = format
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                    guard let number = argument.numberValue else {
                        fail(keyword, "\(keyword) must be a number")
                        continue
                    }
                    switch keyword {
                    case "minimum": node.minimum = number
                    case "maximum": node.maximum = number
                    case "exclusiveMinimum": node.exclusiveMinimum = number
                    default: node.exclusiveMaximum = number
                    }
                case "minLength", "maxLength", "minItems", "maxItems":
                    guard let number = argument.numberValue, number.isWholeNumber, number >= 0, number < 1e9 else {
                        fail(keyword, "\(keyword) must be a non-negative integer")
                        continue
                    }
                    switch keyword {
                    case "minLength": node.minLength = Int(number)
                    case "maxLength": node.maxLength = Int(number)
                    case "minItems": node.minItems = Int(number)
                    default: node.maxItems = Int(number)
                    }
                case "pattern":
                    guard let source = argument.stringValue else {
                        fail(keyword, "pattern must be a string")
                        continue
                    }
                    do {
                        // ECMA-262's `$` (JSON Schema's dialect) matches only at the end of the string;
                        // ICU's also before a final line break, so it is rewritten to `\z`.
                        node.pattern = try NSRegularExpression(pattern: Self.icuPattern(source), options: [.useUnixLineSeparators])
                        node.patternSource = source
                    } catch {
                        fail(keyword, "pattern is not a valid regular expression")
                    }
                case "required":
                    guard let names = argument.arrayValue?.compactMap(\.stringValue),
                        names.count == argument.arrayValue?.count, Set(names).count == names.count
                    else {
                        fail(keyword, "required must be an array of distinct strings")
                        continue
                    }
                    node.required = names
                case "properties":
                    guard case .object(let properties) = argument else {
                        fail(keyword, "properties must be an object")
                        continue
                    }
                    for (name, schema) in properties.sorted(by: { $0.key < $1.key }) {
                        let child = compile(schema, resource: resource, path: keywordPath + [name])
                        node.properties.append((name, child))
                        node.propertyIndex[name] = child
                    }
                case "additionalProperties":
                    switch argument {
                    case .bool(true): node.additionalProperties = nil
                    case .bool(false): node.additionalProperties = .forbidden
                    case .object: node.additionalProperties = .schema(compile(argument, resource: resource, path: keywordPath))
                    default: fail(keyword, "additionalProperties must be a schema")
                    }
                case "items":
                    switch argument {
                    case .bool, .object: node.items = compile(argument, resource: resource, path: keywordPath)
                    default: fail(keyword, "items must be a schema (2020-12; tuples would use prefixItems)")
                    }
                case "allOf", "anyOf", "oneOf":
                    guard let schemas = argument.arrayValue, !schemas.isEmpty else {
                        fail(keyword, "\(keyword) must be a non-empty array of schemas")
                        continue
                    }
                    let children = schemas.enumerated().map { offset, schema in
                        compile(schema, resource: resource, path: keywordPath + [String(offset)])
                    }
                    switch keyword {
                    case "allOf": node.allOf = children
                    case "anyOf": node.anyOf = children
                    default: node.oneOf = children
                    }
                default:
                    fail(keyword, "unknown or unsupported keyword \(keyword)")
                }
            }
        default:
            problem(document, pointer, "", "a schema must be an object or a Boolean")
        }
        nodes[index] = node
        return index
    }

    private mutating func resolveReferences() {
        while let pending = pendingRefs.popLast() {
            let resource = resources[pending.resource]
            let document = resource.document
            let location = pending.pointer + "/$ref"
            // By `$id` (the reference resolved against the document's base URI), then by file name.
            var target = SchemaURI.resolve(pending.reference, against: resource.baseURI)
            var targetResource = resourceByURI[SchemaURI.split(target).resource]
            if targetResource == nil {
                target = SchemaURI.resolve(pending.reference, against: document.fileURI)
                targetResource = resourceByURI[SchemaURI.split(target).resource]
            }
            guard let targetIndex = targetResource else {
                problem(document, location, "$ref", "$ref \(pending.reference) names no known schema document")
                continue
            }
            guard let fragment = SchemaURI.fragmentPointer(of: target) else {
                problem(document, location, "$ref", "$ref \(pending.reference) has a malformed percent-escape")
                continue
            }
            guard let tokens = JSONPointer.tokens(fragment) else {
                problem(document, location, "$ref", "$ref \(pending.reference): only JSON-pointer fragments are supported")
                continue
            }
            guard let schema = JSONPointer.resolve(fragment, in: resources[targetIndex].document.content) else {
                problem(document, location, "$ref", "$ref \(pending.reference) points at nothing")
                continue
            }
            nodes[pending.node].ref = compile(schema, resource: targetIndex, path: tokens)
        }
    }

    /// `source` (an ECMA-262 pattern) for ICU: every `$` anchor outside a character class becomes
    /// `\z`, which matches only at the very end (ICU's `$` also matches before a final "\n").
    static func icuPattern(_ source: String) -> String {
        var result = ""
        var escaped = false
        var inClass = false
        for character in source {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if inClass {
                if character == "]" { inClass = false }
            } else if character == "[" {
                inClass = true
            } else if character == "$" {
                result += "\\z"
                continue
            }
            result.append(character)
        }
        return result
    }
}
