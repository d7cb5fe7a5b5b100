import Contracts

/// One generated invalid document and the violation it must produce.
struct InvalidDocument: Sendable, CustomStringConvertible {
    /// A readable name: the example it came from and what was broken.
    var name: String
    /// The broken document.
    var instance: JSONValue
    /// The keyword that must report it.
    var keyword: String
    /// The JSON pointer the violation must carry.
    var pointer: String

    var description: String { name }
}

/// Derives invalid documents from a valid one by walking it alongside its schema (following
/// `$ref` and `allOf`): a missing required member, a member of the wrong type, a number past each
/// bound, an unlisted enum value, an extra member where the object is closed, strings too long,
/// too short, off-pattern or off-format.
struct InvalidDocumentGenerator {
    private var byURI: [String: SchemaDocument] = [:]

    init(documents: [SchemaDocument]) {
        for document in documents {
            byURI["file:///" + document.path] = document
            if let id = document.id { byURI[id] = document }
        }
    }

    private struct Facet {
        var schema: [String: JSONValue]
        var base: String
    }

    /// The schemas that apply together at one place: the schema itself, its `$ref` targets and
    /// its `allOf` branches, recursively.
    private func facets(_ schema: JSONValue, base: String) -> [Facet] {
        guard case .object(let members) = schema else { return [] }
        var result = [Facet(schema: members, base: base)]
        if let reference = members["$ref"]?.stringValue {
            let target = SchemaURI.resolve(reference, against: base)
            let (resource, fragment) = SchemaURI.split(target)
            if let document = byURI[resource], let resolved = JSONPointer.resolve(fragment ?? "", in: document.content) {
                result += facets(resolved, base: document.id ?? resource)
            }
        }
        for branch in members["allOf"]?.arrayValue ?? [] { result += facets(branch, base: base) }
        return result
    }

    /// Invalid documents derived from `example`, valid under the schema document at `path`.
    func invalidDocuments(from example: JSONValue, schemaPath path: String, label: String) -> [InvalidDocument] {
        guard let document = byURI["file:///" + path] else { return [] }
        var output: [InvalidDocument] = []
        walk(example, facets(document.content, base: document.id ?? "file:///" + path), [], example, label, &output)
        return output
    }

    private func walk(
        _ value: JSONValue, _ facets: [Facet], _ path: [String], _ root: JSONValue, _ label: String,
        _ output: inout [InvalidDocument]
    ) {
        func add(_ what: String, _ keyword: String, _ replacement: JSONValue?, at target: [String]? = nil, pointer: [String]? = nil) {
            let changed = target ?? path
            let reported = pointer ?? path
            let location = JSONPointer.string(reported.map { .key($0) })
            output.append(
                InvalidDocument(
                    name: "\(label): \(what) at \(location.isEmpty ? "/" : location)",
                    instance: root.replacing(changed, with: replacement), keyword: keyword, pointer: location))
        }
        func first(_ keyword: String) -> JSONValue? { facets.lazy.compactMap { $0.schema[keyword] }.first }

        switch value {
        case .object(let members):
            let required = Set(facets.flatMap { ($0.schema["required"]?.arrayValue ?? []).compactMap(\.stringValue) })
            for name in required.sorted() where members[name] != nil {
                add("missing required \(name)", "required", nil, at: path + [name], pointer: path)
            }
            if facets.contains(where: { $0.schema["additionalProperties"] == .bool(false) }) {
                add("extra property", "additionalProperties", .bool(true), at: path + ["unexpectedProperty"],
                    pointer: path + ["unexpectedProperty"])
            }
            for name in members.keys.sorted() {
                let childFacets = facets.flatMap { facet -> [Facet] in
                    guard let child = facet.schema["properties"]?[name] else { return [] }
                    return self.facets(child, base: facet.base)
                }
                guard !childFacets.isEmpty, let member = members[name] else { continue }
                walk(member, childFacets, path + [name], root, label, &output)
            }
        case .number:
            if let maximum = first("maximum")?.numberValue { add("above maximum", "maximum", .number(maximum + 1)) }
            if let minimum = first("minimum")?.numberValue { add("below minimum", "minimum", .number(minimum - 1)) }
            if let bound = first("exclusiveMinimum")?.numberValue { add("at exclusiveMinimum", "exclusiveMinimum", .number(bound)) }
            if let bound = first("exclusiveMaximum")?.numberValue { add("at exclusiveMaximum", "exclusiveMaximum", .number(bound)) }
        case .string:
            if first("enum") != nil { add("unknown enum value", "enum", .string("NOT_A_LISTED_VALUE")) }
            if let maximum = first("maxLength")?.numberValue {
                add("too long", "maxLength", .string(String(repeating: "a", count: Int(maximum) + 1)))
            }
            if let minimum = first("minLength")?.numberValue, minimum > 0 { add("too short", "minLength", .string("")) }
            if first("pattern") != nil { add("off pattern", "pattern", .string("!")) }
            switch first("format")?.stringValue {
            case "uuid": add("bad uuid", "format", .string("3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b1"))
            case "date-time": add("bad date-time", "format", .string("2026-02-30T10:00:00Z"))
            default: break
            }
        default:
            break
        }
        // A value of another JSON type, where `type` constrains this place.
        if let types = first("type") {
            let allowed = Set((types.arrayValue ?? [types]).compactMap(\.stringValue))
            let replacement: JSONValue = allowed.contains("boolean") ? .string("wrong-type") : .bool(true)
            add("wrong type", "type", replacement)
        }
    }
}
