import Foundation

/// Compares two versions of the schema files and lists the changes that would break a consumer
/// built against the older one: a required field added, a field removed, a field retyped
/// (`type`, `format` or `const` changed), an enum value removed, a composition (`allOf`, `anyOf`,
/// `oneOf`) reshaped, a schema file removed. Adding optional fields or enum values is compatible.
///
/// `$ref`s are followed on each side within that side's documents, so a change to a shared
/// definition is reported wherever an event uses it.
package struct SchemaCompatibility {
    /// One breaking change.
    package struct Change: Sendable, Hashable, CustomStringConvertible {
        /// What kind of change.
        package struct Kind: Hashable, Sendable, CustomStringConvertible {
            /// The kind's name.
            package let rawValue: String
            private init(_ rawValue: String) { self.rawValue = rawValue }
            /// A property became required (new or formerly optional).
            package static let requiredAdded = Kind("requiredAdded")
            /// A property is no longer declared.
            package static let propertyRemoved = Kind("propertyRemoved")
            /// `type` or `format` changed.
            package static let typeChanged = Kind("typeChanged")
            /// An enum value is no longer allowed (or an enum now restricts a free value).
            package static let enumValueRemoved = Kind("enumValueRemoved")
            /// `const` changed.
            package static let constChanged = Kind("constChanged")
            /// `allOf`/`anyOf`/`oneOf` gained or lost branches, or a schema changed shape.
            package static let compositionChanged = Kind("compositionChanged")
            /// A schema file of the baseline is gone.
            package static let schemaRemoved = Kind("schemaRemoved")
            /// The kind's name.
            package var description: String { rawValue }
        }

        /// What kind of change.
        package var kind: Kind
        /// Where: a schema file path, `#`, and a JSON pointer (in the current file; for a removed
        /// property, in the baseline file).
        package var location: String
        /// What changed.
        package var detail: String

        /// `kind at location: detail`.
        package var description: String { "\(kind) at \(location): \(detail)" }
    }

    /// A schema value and where it lives.
    private struct Site {
        var schema: JSONValue
        var path: String
        var base: String
        var pointer: [String]
        var location: String { path + "#" + JSONPointer.string(pointer.map { .key($0) }) }
        func child(_ tokens: String...) -> Site? {
            var value = schema
            for token in tokens {
                switch value {
                case .object(let members):
                    guard let next = members[token] else { return nil }
                    value = next
                case .array(let elements):
                    guard let index = Int(token), elements.indices.contains(index) else { return nil }
                    value = elements[index]
                default:
                    return nil
                }
            }
            return Site(schema: value, path: path, base: base, pointer: pointer + tokens)
        }
    }

    private struct Side {
        var documents: [String: SchemaDocument] = [:]
        var byURI: [String: SchemaDocument] = [:]

        init(_ documents: [SchemaDocument]) {
            for document in documents {
                self.documents[document.path] = document
                byURI[document.fileURI] = document
                if let id = document.id { byURI[id] = document }
            }
        }

        func root(_ path: String) -> Site? {
            documents[path].map { Site(schema: $0.content, path: $0.path, base: $0.id ?? $0.fileURI, pointer: []) }
        }

        /// Follows `$ref`s whose siblings are only annotations.
        func dereference(_ site: Site) -> Site {
            var current = site
            var hops = 0
            while hops < 32, let reference = current.schema["$ref"]?.stringValue,
                current.schema.objectValue?.keys.allSatisfy({ $0 == "$ref" || SchemaCompiler.annotations.contains($0) })
                    == true
            {
                hops += 1
                var target = SchemaURI.resolve(reference, against: current.base)
                var document = byURI[SchemaURI.split(target).resource]
                if document == nil, let file = documents[current.path]?.fileURI {
                    target = SchemaURI.resolve(reference, against: file)
                    document = byURI[SchemaURI.split(target).resource]
                }
                guard let document, let fragment = SchemaURI.fragmentPointer(of: target), let tokens = JSONPointer.tokens(fragment),
                    let schema = JSONPointer.resolve(fragment, in: document.content)
                else { return current }
                current = Site(schema: schema, path: document.path, base: document.id ?? document.fileURI, pointer: tokens)
            }
            return current
        }
    }

    private let baseline: Side
    private let current: Side

    /// A comparison of the `baseline` documents (what consumers were built against) with `current`.
    package init(baseline: [SchemaDocument], current: [SchemaDocument]) {
        self.baseline = Side(baseline)
        self.current = Side(current)
    }

    /// Every breaking change, sorted by location.
    package func breakingChanges() -> [Change] {
        var changes: [Change] = []
        var visited: Set<String> = []
        for path in baseline.documents.keys.sorted() {
            guard let old = baseline.root(path) else { continue }
            guard let new = current.root(path) else {
                changes.append(Change(kind: .schemaRemoved, location: path + "#", detail: "schema file removed"))
                continue
            }
            compare(old, new, &changes, &visited)
        }
        return changes.sorted { ($0.location, $0.kind.rawValue, $0.detail) < ($1.location, $1.kind.rawValue, $1.detail) }
    }

    private func compare(_ oldSite: Site, _ newSite: Site, _ changes: inout [Change], _ visited: inout Set<String>) {
        let old = baseline.dereference(oldSite)
        let new = current.dereference(newSite)
        guard visited.insert(old.location + " -> " + new.location).inserted else { return }
        func report(_ kind: Change.Kind, _ detail: String, at location: String? = nil) {
            changes.append(Change(kind: kind, location: location ?? new.location, detail: detail))
        }

        guard case .object(let o) = old.schema, case .object(let n) = new.schema else {
            if old.schema != new.schema { report(.compositionChanged, "schema changed from \(old.schema.jsonText) to \(new.schema.jsonText)") }
            return
        }
        if o["$ref"] != nil || n["$ref"] != nil {
            // A $ref beside constraints: compare the targets and the constraints separately.
            if let oldTarget = old.child(), let newTarget = new.child(), o["$ref"] != nil, n["$ref"] != nil {
                var oldReference = oldTarget
                var newReference = newTarget
                oldReference.schema = ["$ref": o["$ref"]!]
                newReference.schema = ["$ref": n["$ref"]!]
                compare(oldReference, newReference, &changes, &visited)
            } else {
                report(.compositionChanged, "a $ref beside other keywords was added or removed")
            }
        }

        let oldTypes = Self.typeNames(o["type"])
        let newTypes = Self.typeNames(n["type"])
        if oldTypes != newTypes {
            report(.typeChanged, "type \(Self.describe(oldTypes)) became \(Self.describe(newTypes))")
        }
        if o["format"] != n["format"] {
            report(.typeChanged, "format \(o["format"]?.jsonText ?? "none") became \(n["format"]?.jsonText ?? "none")")
        }
        if let newConst = n["const"], o["const"] != newConst {
            report(.constChanged, "const \(o["const"]?.jsonText ?? "none") became \(newConst.jsonText)")
        }
        if let newEnum = n["enum"]?.arrayValue {
            if let oldEnum = o["enum"]?.arrayValue {
                for value in oldEnum where !newEnum.contains(value) {
                    report(.enumValueRemoved, "enum value \(value.jsonText) removed")
                }
            } else {
                report(.enumValueRemoved, "an enum now restricts a value that was free")
            }
        }

        let oldProperties = o["properties"]?.objectValue ?? [:]
        let newProperties = n["properties"]?.objectValue ?? [:]
        for name in oldProperties.keys.sorted() {
            if newProperties[name] == nil {
                report(
                    .propertyRemoved, "property \"\(name)\" removed",
                    at: old.location + "/properties/" + JSONPointer.escape(name))
            } else if let oldChild = old.child("properties", name), let newChild = new.child("properties", name) {
                compare(oldChild, newChild, &changes, &visited)
            }
        }
        let oldRequired = Set((o["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        for name in (n["required"]?.arrayValue ?? []).compactMap(\.stringValue) where !oldRequired.contains(name) {
            report(.requiredAdded, "property \"\(name)\" became required")
        }
        for keyword in ["additionalProperties", "items"] {
            if case .object = o[keyword], case .object = n[keyword],
                let oldChild = old.child(keyword), let newChild = new.child(keyword)
            {
                compare(oldChild, newChild, &changes, &visited)
            }
        }
        for keyword in ["allOf", "anyOf", "oneOf"] {
            let oldBranches = o[keyword]?.arrayValue ?? []
            let newBranches = n[keyword]?.arrayValue ?? []
            guard oldBranches.count == newBranches.count else {
                report(.compositionChanged, "\(keyword) had \(oldBranches.count) branches, now \(newBranches.count)")
                continue
            }
            for offset in oldBranches.indices {
                if let oldChild = old.child(keyword, String(offset)), let newChild = new.child(keyword, String(offset)) {
                    compare(oldChild, newChild, &changes, &visited)
                }
            }
        }
    }

    private static func typeNames(_ value: JSONValue?) -> Set<String>? {
        guard let value else { return nil }
        return Set((value.arrayValue ?? [value]).compactMap(\.stringValue))
    }

    private static func describe(_ types: Set<String>?) -> String {
        types.map { $0.sorted().joined(separator: "|") } ?? "unconstrained"
    }
}
