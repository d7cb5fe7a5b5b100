import Contracts
import Testing

/// The schemas against the frozen baseline of the previous published version
/// (`schemas/compat/baseline/`), and the checker against breaking changes made on purpose.
@Suite("Schema compatibility")
struct CompatibilityTests {
    let baseline: [SchemaDocument]
    let current: [SchemaDocument]

    init() throws {
        baseline = try RepositoryFiles.baselineDocuments()
        current = try RepositoryFiles.currentDocuments()
    }

    /// `current` with the document at `path` transformed.
    private func changing(_ path: String, _ transform: (JSONValue) throws -> JSONValue) throws -> [SchemaDocument] {
        #expect(current.contains { $0.path == path }, "no \(path)")
        return try current.map { document in
            document.path == path ? SchemaDocument(path: path, content: try transform(document.content)) : document
        }
    }

    private func changes(_ documents: [SchemaDocument]) -> [SchemaCompatibility.Change] {
        SchemaCompatibility(baseline: baseline, current: documents).breakingChanges()
    }

    @Test("The baseline covers every schema file of version 1")
    func baselineCoversEveryFile() {
        #expect(Set(baseline.map(\.path)) == Set(current.map(\.path)))
    }

    @Test("No current schema breaks a consumer built against the baseline")
    func currentIsCompatible() {
        let breaking = changes(current)
        #expect(breaking.isEmpty, "\(breaking)")
    }

    @Test("Every baseline example still validates under the current schema (messages in flight stay valid)")
    func baselineExamplesStillValid() throws {
        let set = try SchemaSet(current)
        for document in baseline {
            guard let schema = set.schema(document.path) else {
                Issue.record("\(document.path) is gone")
                continue
            }
            for example in document.content["examples"]?.arrayValue ?? [] {
                #expect(schema.validate(example).isEmpty, "\(document.path): \(example.jsonText)")
            }
        }
    }

    @Test("The checker catches a new required field", arguments: EventType.all)
    func requiredAdded(type: EventType) throws {
        let path = type.schemaPath(version: 1)
        let mutated = try changing(path) { schema in
            schema.replacing(["properties", "newField"], with: ["type": "string"])
                .replacing(["required"], with: .array((schema["required"]?.arrayValue ?? []) + ["newField"]))
        }
        let found = changes(mutated)
        #expect(found.map(\.kind) == [.requiredAdded], "\(found)")
        #expect(found.first?.location == path + "#")
    }

    @Test("The checker catches a removed field", arguments: EventType.all)
    func propertyRemoved(type: EventType) throws {
        let path = type.schemaPath(version: 1)
        let victim = try #require(current.first { $0.path == path }?.content["properties"]?.objectValue?.keys.sorted().first)
        let mutated = try changing(path) { schema in
            schema.removing(["properties", victim])
                .replacing(["required"], with: .array((schema["required"]?.arrayValue ?? []).filter { $0 != .string(victim) }))
        }
        let found = changes(mutated)
        #expect(found.map(\.kind) == [.propertyRemoved], "\(found)")
        #expect(found.first?.location == path + "#/properties/" + victim)
    }

    @Test("The checker catches a retyped field", arguments: EventType.all)
    func typeChanged(type: EventType) throws {
        let path = type.schemaPath(version: 1)
        let victim = try #require(current.first { $0.path == path }?.content["properties"]?.objectValue?.keys.sorted().first)
        let mutated = try changing(path) { $0.replacing(["properties", victim], with: ["type": "boolean"]) }
        let found = changes(mutated)
        #expect(found.contains { $0.kind == .typeChanged && $0.location == path + "#/properties/" + victim }, "\(found)")
    }

    @Test("The checker catches a removed enum value", arguments: EventType.all)
    func enumValueRemoved(type: EventType) throws {
        let path = type.schemaPath(version: 1)
        let content = try #require(current.first { $0.path == path }?.content)
        // The event's own reason codes, or else a shared enum the event uses.
        let (file, pointer): (String, [String]) =
            content["$defs"]?["reasonCode"]?["enum"] != nil
            ? (path, ["$defs", "reasonCode", "enum"])
            : ("common.v1.json", ["$defs", "packageSize", "enum"])
        let fileContent = try #require(current.first { $0.path == file }).content
        let values = try #require(JSONPointer.resolve("/" + pointer.joined(separator: "/"), in: fileContent)?.arrayValue)
        // The first value is a published one (values added since are not in the baseline yet).
        let mutated = try changing(file) { $0.replacing(pointer, with: .array(Array(values.dropFirst()))) }
        let found = changes(mutated)
        #expect(found.contains { $0.kind == .enumValueRemoved && $0.detail.contains(values.first!.jsonText) }, "\(found)")
        if file == path { #expect(found.allSatisfy { $0.location.hasPrefix(path) }) }
    }

    @Test("The checker follows $refs: a change to a shared definition is reported in the events that use it")
    func sharedDefinitionChange() throws {
        let mutated = try changing("common.v1.json") { $0.removing(["$defs", "geoLocation", "properties", "longitude"]) }
        let locations = Set(changes(mutated).filter { $0.kind == .propertyRemoved }.map(\.location))
        #expect(locations.contains("common.v1.json#/$defs/geoLocation/properties/longitude"))
        let retyped = try changing("common.v1.json") { $0.replacing(["$defs", "uuid", "format"], with: "date-time") }
        #expect(changes(retyped).contains { $0.kind == .typeChanged })
        let const = try changing("envelope.v1.json") { $0.replacing(["properties", "version", "const"], with: 1) }
        #expect(changes(const).map(\.kind) == [.constChanged])
    }

    @Test("The checker catches a removed schema file and a reshaped composition")
    func removedFileAndComposition() throws {
        let removed = current.filter { $0.path != "events/drone.released.v1.json" }
        #expect(changes(removed).map(\.kind) == [.schemaRemoved])
        let reshaped = try changing("events/package.created.v1.json") {
            $0.removing(["properties", "packageInfo", "allOf", "1"])
        }
        #expect(changes(reshaped).map(\.kind) == [.compositionChanged])
    }

    @Test("Compatible changes are not reported: an optional field, an extra enum value, new annotations")
    func compatibleChanges() throws {
        let path = EventType.accountRejected.schemaPath(version: 1)
        var mutated = try changing(path) { schema in
            schema.replacing(["properties", "note"], with: ["type": "string", "maxLength": 100])
                .replacing(["$defs", "reasonCode", "enum"], with: .array((schema["$defs"]?["reasonCode"]?["enum"]?.arrayValue ?? []) + ["ACCOUNT_CLOSED"]))
                .replacing(["description"], with: "Reworded.")
        }
        mutated = mutated.map { document in
            document.path == "common.v1.json"
                ? SchemaDocument(path: document.path, content: document.content.replacing(["$defs", "packageSize", "enum"], with: ["small", "medium", "large", "x-large"]))
                : document
        }
        let found = changes(mutated)
        #expect(found.isEmpty, "\(found)")
    }
}
