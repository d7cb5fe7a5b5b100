import Contracts
import Testing

/// The schema files as files: the embedded copy, `$id`s, and the shared definitions Swift mirrors.
@Suite("Schema files")
struct SchemaFileTests {
    @Test("The embedded schemas are byte-for-byte the files in schemas/ (run scripts/contracts_embed.py after a change)")
    func embeddedCopyIsCurrent() throws {
        let onDisk = try RepositoryFiles.currentSchemaFiles()
        let embedded = EmbeddedSchemas.files.sorted { $0.path < $1.path }
        #expect(embedded.map(\.path) == onDisk.map(\.path))
        for (file, copy) in zip(onDisk, embedded) where file.path == copy.path {
            #expect(file.text == copy.text, "\(file.path) differs from its embedded copy")
        }
    }

    @Test("Every schema file declares 2020-12 and an $id equal to the base URI plus its path")
    func identifiers() throws {
        for document in try RepositoryFiles.currentDocuments() {
            #expect(document.content["$schema"] == "https://json-schema.org/draft/2020-12/schema", "\(document.path)")
            #expect(document.id == RepositoryFiles.idBase + document.path)
        }
    }

    @Test("There is one event schema per event type and no other")
    func oneSchemaPerEventType() throws {
        let eventFiles = try RepositoryFiles.currentDocuments().map(\.path).filter { $0.hasPrefix("events/") }
        #expect(eventFiles.sorted() == EventType.all.map { $0.schemaPath(version: 1) }.sorted())
        #expect(Set(EventType.all).count == EventType.all.count)
        #expect(EventCatalog.payloadTypes.map { $0.eventType } == EventType.all)
    }

    @Test("Shared enums in common.v1.json match the Swift enums and Producer.all")
    func sharedEnums() throws {
        let common = try #require(try RepositoryFiles.currentDocuments().first { $0.path == "common.v1.json" })
        func values(_ definition: String) -> [String] {
            (common.content["$defs"]?[definition]?["enum"]?.arrayValue ?? []).compactMap(\.stringValue)
        }
        #expect(values("packageSize") == PackageSize.allCases.map(\.rawValue))
        #expect(values("confirmationType") == ConfirmationType.allCases.map(\.rawValue))
        #expect(values("producer") == Producer.all.map(\.rawValue))
        let envelopeSchema = try ContractValidator().envelope
        for type in EventType.all {
            for producer in Producer.all {
                let message = envelope(type: type, producer: producer, data: [:])
                #expect(envelopeSchema.validate(message).isEmpty, "\(type) from \(producer) is not a valid envelope")
            }
        }
        #expect(!envelopeSchema.isValid(envelope(type: .droneReleased, producer: Producer(rawValue: "billing"), data: [:])))
    }
}
