import Contracts
import Foundation
import Testing

/// Per event type: the schema file, its examples, the Swift type and its sample, and the invalid
/// documents derived from the examples.
@Suite("Event schemas")
struct EventSchemaTests {
    let documents: [SchemaDocument]
    let validator: ContractValidator

    init() throws {
        documents = try RepositoryFiles.currentDocuments()
        validator = try ContractValidator(documents: documents)
    }

    private func document(_ type: EventType) throws -> SchemaDocument {
        try #require(documents.first { $0.path == type.schemaPath(version: 1) }, "no schema file for \(type)")
    }

    private func schema(_ type: EventType) throws -> JSONSchema {
        try #require(validator.payloadSchema(for: type, version: 1), "no compiled schema for \(type)")
    }

    private func examples(_ type: EventType) throws -> [JSONValue] {
        try #require(try document(type).content["examples"]?.arrayValue, "\(type) has no examples")
    }

    @Test("Schema file declares 2020-12, its $id, required members, a closed root and two or more examples",
        arguments: EventType.all)
    func schemaShape(type: EventType) throws {
        let content = try document(type).content
        #expect(content["$schema"] == "https://json-schema.org/draft/2020-12/schema")
        #expect(content["$id"]?.stringValue == RepositoryFiles.idBase + type.schemaPath(version: 1))
        #expect(content["type"] == "object")
        #expect(content["additionalProperties"] == .bool(false))
        let required = content["required"]?.arrayValue ?? []
        #expect(!required.isEmpty)
        let properties = content["properties"]?.objectValue ?? [:]
        for name in required.compactMap(\.stringValue) {
            #expect(properties[name] != nil, "required \(name) is not a declared property")
        }
        #expect((content["examples"]?.arrayValue?.count ?? 0) >= 2)
    }

    @Test("Every example validates and decodes into its Swift type, keeping every field", arguments: EventType.all)
    func examplesDecode(type: EventType) throws {
        let payloadType = try #require(EventCatalog.payloadType(for: type))
        try checkExamples(payloadType, examples: examples(type), schema: schema(type))
    }

    private func checkExamples<Payload: DomainEvent>(_: Payload.Type, examples: [JSONValue], schema: JSONSchema) throws {
        for (offset, example) in examples.enumerated() {
            let violations = schema.validate(example)
            #expect(violations.isEmpty, "example \(offset): \(violations)")
            let decoded = try EventCoding.makeDecoder().decode(Payload.self, from: Data(example.serialized()))
            let reencoded = try JSONValue(parsing: EventCoding.makeEncoder().encode(decoded))
            #expect(sameMeaning(reencoded, example), "example \(offset) changed in a round trip: \(reencoded.jsonText)")
            #expect(schema.validate(reencoded).isEmpty, "example \(offset) re-encoded is invalid")
            let again = try EventCoding.makeDecoder().decode(Payload.self, from: Data(reencoded.serialized()))
            #expect(again == decoded)
        }
    }

    @Test("The Swift type's sample() encodes to JSON that validates and decodes back equal", arguments: EventType.all)
    func sampleValidates(type: EventType) throws {
        let payloadType = try #require(EventCatalog.payloadType(for: type))
        try checkSample(payloadType, schema: schema(type))
    }

    private func checkSample<Payload: DomainEvent>(_: Payload.Type, schema: JSONSchema) throws {
        let sample = Payload.sample()
        let json = try JSONValue(parsing: EventCoding.makeEncoder().encode(sample))
        let violations = schema.validate(json)
        #expect(violations.isEmpty, "\(violations)")
        #expect(try EventCoding.makeDecoder().decode(Payload.self, from: Data(json.serialized())) == sample)
        let envelope = EventEnvelope(deliveryId: UUID(), causationId: UUID(), data: sample)
        let erased = try validator.validate(envelope)
        #expect(try erased.payload(as: Payload.self) == sample)
    }

    @Test("Generated invalid documents are rejected, each with its keyword at the right pointer", arguments: EventType.all)
    func invalidDocumentsRejected(type: EventType) throws {
        let generator = InvalidDocumentGenerator(documents: documents)
        let schema = try schema(type)
        var invalid: [InvalidDocument] = []
        for (offset, example) in try examples(type).enumerated() {
            invalid += generator.invalidDocuments(
                from: example, schemaPath: type.schemaPath(version: 1), label: "\(type) example \(offset)")
        }
        let keywords = Set(invalid.map(\.keyword))
        #expect(keywords.isSuperset(of: ["required", "additionalProperties", "type"]), "\(keywords)")
        for document in invalid {
            let violations = schema.validate(document.instance)
            #expect(
                violations.contains { $0.keyword == document.keyword && $0.instanceLocation == document.pointer },
                "\(document.name): \(violations)")
            #expect(
                violations.allSatisfy {
                    $0.instanceLocation == document.pointer || $0.instanceLocation.hasPrefix(document.pointer + "/")
                }, "\(document.name): a violation outside \(document.pointer): \(violations)")
        }
    }

    @Test("The generated invalid documents cover every kind of breakage across the event schemas")
    func invalidDocumentsCoverEveryKeyword() throws {
        let generator = InvalidDocumentGenerator(documents: documents)
        var keywords: Set<String> = []
        for type in EventType.all {
            for example in try examples(type) {
                keywords.formUnion(
                    generator.invalidDocuments(from: example, schemaPath: type.schemaPath(version: 1), label: "")
                        .map(\.keyword))
            }
        }
        let expected: Set<String> = [
            "required", "additionalProperties", "type", "maximum", "minimum", "exclusiveMinimum", "enum",
            "maxLength", "minLength", "pattern", "format",
        ]
        #expect(keywords.isSuperset(of: expected), "missing: \(expected.subtracting(keywords))")
    }

    @Test("Each example inside an envelope passes the ContractValidator, and breaking data is reported under /data",
        arguments: EventType.all)
    func examplesThroughValidator(type: EventType) throws {
        let payloadType = try #require(EventCatalog.payloadType(for: type))
        let generator = InvalidDocumentGenerator(documents: documents)
        for (offset, example) in try examples(type).enumerated() {
            let message = envelope(type: type, producer: payloadType.producer, data: example)
            let accepted = try validator.validate(Array(message.serialized()))
            #expect(accepted.type == type)
            #expect(accepted.data == example)
            for document in generator.invalidDocuments(
                from: example, schemaPath: type.schemaPath(version: 1), label: "\(type) example \(offset)")
            {
                let error = #expect(throws: ContractError.self, "\(document.name)") {
                    try validator.validate(envelope(type: type, producer: payloadType.producer, data: document.instance).serialized())
                }
                #expect(error?.code == .schemaViolation)
                #expect(
                    error?.violations.contains { $0.instanceLocation == "/data" + document.pointer && $0.keyword == document.keyword }
                        == true, "\(document.name): \(error?.violations ?? [])")
            }
        }
    }

    @Test("Failure and compensation events carry a required reason whose codes the Swift type mirrors",
        arguments: EventType.all)
    func reasonCodes(type: EventType) throws {
        let content = try document(type).content
        let payloadType = try #require(EventCatalog.payloadType(for: type))
        let failureSuffixes = ["rejected", "failed", "cancelled", "released", "refused", "cancellation-requested", "overdue"]
        let isFailureOrCompensation = failureSuffixes.contains { type.rawValue.hasSuffix($0) }
        let reasonSchema = content["properties"]?["reason"]
        #expect((reasonSchema != nil) == isFailureOrCompensation, "reason present: \(reasonSchema != nil)")
        guard let reasonSchema else {
            #expect(!(payloadType is any ReasonCarryingEvent.Type))
            return
        }
        #expect(content["required"]?.arrayValue?.contains("reason") == true)
        #expect(reasonSchema["required"] == ["code", "message"])
        #expect(reasonSchema["additionalProperties"] == .bool(false))
        var codeSchema = try #require(reasonSchema["properties"]?["code"])
        if let reference = codeSchema["$ref"]?.stringValue, reference.hasPrefix("#") {
            codeSchema = try #require(JSONPointer.resolve(String(reference.dropFirst()), in: content))
        }
        let schemaCodes = try #require(codeSchema["enum"]?.arrayValue).compactMap(\.stringValue)
        #expect(schemaCodes.allSatisfy { $0.range(of: "^[A-Z][A-Z0-9_]*$", options: .regularExpression) != nil })
        let reasonType = try #require(payloadType as? any ReasonCarryingEvent.Type)
        #expect(reasonType.reasonCodes == schemaCodes)
    }

    @Test("The Swift type names its event type, version 1 and the producer the envelope schema allows",
        arguments: EventType.all)
    func swiftTypeMetadata(type: EventType) throws {
        let payloadType = try #require(EventCatalog.payloadType(for: type))
        #expect(payloadType.eventType == type)
        #expect(payloadType.schemaVersion == 1)
        #expect(validator.supportedVersions(of: type) == [payloadType.schemaVersion])
        #expect(Producer.all.contains(payloadType.producer))
        #expect(payloadType.producer != .history)
    }
}

/// An envelope around `data`, as a producer would publish it.
func envelope(type: EventType, producer: Producer, data: JSONValue, version: Int = 1) -> JSONValue {
    [
        "id": "0d4c6a8e-2b1f-4e3d-9a5c-7f6e8d0b1a2c", "type": .string(type.rawValue), "version": .number(Double(version)),
        "occurredAt": "2026-05-01T09:00:00.000Z", "deliveryId": "3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b13",
        "causationId": "2c4e6a8c-0e2a-4c6e-8a0c-2e4a6c8e0a2c", "producer": .string(producer.rawValue), "data": data,
    ]
}
