import Contracts
import Foundation
import Yams

/// Files of the checkout the contract tests read: the schema folder is the source of truth.
enum RepositoryFiles {
    /// The package root (this file is `Tests/ContractTests/Support/RepositoryFiles.swift`).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `schemas/`.
    static let schemas = root.appendingPathComponent("schemas")

    /// The `$id` prefix every schema file uses; a file's `$id` is this plus its path.
    static let idBase = "https://fabrikam.example/schemas/"

    /// Every `.json` file under `folder` as (path relative to `folder`, text), sorted by path.
    static func jsonFiles(under folder: URL) throws -> [(path: String, text: String)] {
        let base = folder.standardizedFileURL.path + "/"
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            return []
        }
        var files: [(path: String, text: String)] = []
        for case let url as URL in enumerator where url.pathExtension == "json" {
            let path = String(url.standardizedFileURL.path.dropFirst(base.count))
            files.append((path, try String(contentsOf: url, encoding: .utf8)))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// The schema files of `schemas/` (the `compat/` baselines excepted) as text.
    static func currentSchemaFiles() throws -> [(path: String, text: String)] {
        try jsonFiles(under: schemas).filter { !$0.path.hasPrefix("compat/") }
    }

    /// The schema files of `schemas/` (the `compat/` baselines excepted), parsed.
    static func currentDocuments() throws -> [SchemaDocument] {
        try currentSchemaFiles().map { try SchemaDocument(path: $0.path, text: $0.text) }
    }

    /// The frozen baseline of the previous published version, `schemas/compat/baseline/`.
    static func baselineDocuments() throws -> [SchemaDocument] {
        try jsonFiles(under: schemas.appendingPathComponent("compat/baseline")).map {
            try SchemaDocument(path: $0.path, text: $0.text)
        }
    }

    /// A YAML file of `schemas/` as JSON.
    static func yaml(_ name: String) throws -> JSONValue {
        let text = try String(contentsOf: schemas.appendingPathComponent(name), encoding: .utf8)
        guard let loaded = try Yams.load(yaml: text) else { throw YAMLConversionError(message: "\(name) is empty") }
        return try jsonValue(fromYAML: loaded, at: name)
    }

    /// Why a YAML value has no JSON equivalent.
    struct YAMLConversionError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Converts what Yams loads into JSON; a YAML-only value (an unquoted timestamp, a non-string
    /// key) is an error, since the documents must mean the same in every YAML parser.
    static func jsonValue(fromYAML value: Any, at location: String) throws -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let value as Bool: return .bool(value)
        case let value as Int: return .number(Double(value))
        case let value as Double: return .number(value)
        case let value as String: return .string(value)
        case let value as [Any]:
            return .array(try value.enumerated().map { try jsonValue(fromYAML: $1, at: "\(location)/\($0)") })
        case let value as [AnyHashable: Any]:
            var members: [String: JSONValue] = [:]
            for (key, member) in value {
                guard let key = key.base as? String else {
                    throw YAMLConversionError(message: "\(location): non-string key \(key)")
                }
                members[key] = try jsonValue(fromYAML: member, at: "\(location)/\(key)")
            }
            return .object(members)
        case let value as [String: Any]:
            return try jsonValue(fromYAML: Dictionary(uniqueKeysWithValues: value.map { (AnyHashable($0.key), $0.value) }), at: location)
        default:
            throw YAMLConversionError(message: "\(location): \(type(of: value)) has no JSON equivalent (quote it)")
        }
    }
}

extension JSONValue {
    /// This value with the value at `path` replaced (or, with `nil`, removed).
    func replacing(_ path: ArraySlice<String>, with replacement: JSONValue?) -> JSONValue {
        guard let first = path.first else { return replacement ?? .null }
        switch self {
        case .object(var members):
            if path.count == 1 {
                members[first] = replacement
            } else if let child = members[first] {
                members[first] = child.replacing(path.dropFirst(), with: replacement)
            }
            return .object(members)
        case .array(var elements):
            guard let index = Int(first), elements.indices.contains(index) else { return self }
            if path.count == 1 {
                if let replacement { elements[index] = replacement } else { elements.remove(at: index) }
            } else {
                elements[index] = elements[index].replacing(path.dropFirst(), with: replacement)
            }
            return .array(elements)
        default:
            return self
        }
    }

    /// This value with the value at `path` replaced (or, with `nil`, removed).
    func replacing(_ path: [String], with replacement: JSONValue?) -> JSONValue {
        replacing(path[...], with: replacement)
    }

    /// This value without the value at `path`.
    func removing(_ path: [String]) -> JSONValue {
        replacing(path[...], with: Optional<JSONValue>.none)
    }
}
