import Contracts
import Foundation
import Testing

/// The runtime's entry point: raw message bodies in, a validated envelope or a ContractError out.
@Suite("Contract validator")
struct ContractValidatorTests {
    let validator: ContractValidator
    let envelopeExamples: [JSONValue]

    init() throws {
        let documents = try RepositoryFiles.currentDocuments()
        validator = try ContractValidator(documents: documents)
        let envelopeSchema = try #require(documents.first { $0.path == ContractValidator.envelopeSchemaPath })
        envelopeExamples = try #require(envelopeSchema.content["examples"]?.arrayValue)
    }

    private func body(_ value: JSONValue) -> [UInt8] { value.serialized() }

    @Test("The envelope schema has two or more examples and each passes whole, with its fields read back")
    func envelopeExamplesPass() throws {
        #expect(envelopeExamples.count >= 2)
        for example in envelopeExamples {
            let envelope = try validator.validate(body(example))
            #expect(envelope.type.rawValue == example["type"]?.stringValue)
            #expect(envelope.id == UUID(uuidString: try #require(example["id"]?.stringValue)))
            #expect(envelope.deliveryId == UUID(uuidString: try #require(example["deliveryId"]?.stringValue)))
            #expect(envelope.causationId == example["causationId"]?.stringValue.flatMap(UUID.init(uuidString:)))
            #expect(envelope.producer.rawValue == example["producer"]?.stringValue)
            #expect(RFC3339.string(from: envelope.occurredAt) == example["occurredAt"]?.stringValue)
            #expect(envelope.data == example["data"])
            #expect(sameMeaning(envelope.jsonValue, example))
        }
    }

    @Test("Generated invalid envelopes are rejected, each with its keyword at the right pointer")
    func invalidEnvelopes() throws {
        let generator = InvalidDocumentGenerator(documents: try RepositoryFiles.currentDocuments())
        var invalid: [InvalidDocument] = []
        for (offset, example) in envelopeExamples.enumerated() {
            invalid += generator.invalidDocuments(from: example, schemaPath: ContractValidator.envelopeSchemaPath, label: "envelope example \(offset)")
        }
        #expect(Set(invalid.map(\.keyword)).isSuperset(of: ["required", "additionalProperties", "type", "format", "enum", "pattern", "minimum", "maximum"]))
        for document in invalid {
            let error = #expect(throws: ContractError.self, "\(document.name)") { try validator.validate(body(document.instance)) }
            #expect(error?.code == .schemaViolation)
            let violations = error?.violations ?? []
            #expect(violations.contains { $0.keyword == document.keyword && $0.instanceLocation == document.pointer }, "\(document.name): \(violations)")
        }
    }

    @Test("The validator over the embedded schemas knows every event type in version 1")
    func embeddedValidator() throws {
        let embedded = try ContractValidator()
        #expect(embedded.eventTypes == EventType.all.sorted())
        for type in EventType.all { #expect(embedded.supportedVersions(of: type) == [1]) }
        let accepted = try embedded.validate(body(envelopeExamples[0]))
        #expect(accepted.type == .deliveryRequested)
    }

    @Test("A body that is not JSON is refused as notJSON", arguments: ["", "{", "nul", "{\"id\": }", "[1,]", "{} {}"])
    func notJSON(text: String) throws {
        let error = #expect(throws: ContractError.self) { try validator.validate(Array(text.utf8)) }
        #expect(error?.code == .notJSON)
    }

    @Test("Invalid UTF-8 is refused as notJSON")
    func invalidUTF8() throws {
        let error = #expect(throws: ContractError.self) { try validator.validate([0x22, 0xFF, 0xFE, 0x22]) }
        #expect(error?.code == .notJSON)
    }

    @Test("An event type without a schema is refused as unknownType")
    func unknownType() throws {
        let message = envelope(type: EventType("drone.exploded"), producer: .drone, data: [:])
        let error = #expect(throws: ContractError.self) { try validator.validate(body(message)) }
        #expect(error?.code == .unknownType)
    }

    @Test("A version without a schema is refused as unsupportedVersion")
    func unsupportedVersion() throws {
        let data = try #require(envelopeExamples[0]["data"])
        let message = envelope(type: .deliveryRequested, producer: .ingestion, data: data, version: 2)
        let error = #expect(throws: ContractError.self) { try validator.validate(body(message)) }
        #expect(error?.code == .unsupportedVersion)
    }

    @Test("Every envelope violation is reported, each with its pointer")
    func everyEnvelopeViolation() throws {
        let broken = envelopeExamples[0]
            .replacing(["id"], with: "not-a-uuid")
            .replacing(["version"], with: 1.5)
            .removing(["producer"])
            .replacing(["extra"], with: true)
            .replacing(["occurredAt"], with: "2026-05-01 09:00:00Z")
        let error = #expect(throws: ContractError.self) { try validator.validate(body(broken)) }
        #expect(error?.code == .schemaViolation)
        let found = Set((error?.violations ?? []).map { "\($0.instanceLocation) \($0.keyword)" })
        #expect(found == ["/id format", "/version type", " required", "/extra additionalProperties", "/occurredAt format"])
    }

    @Test("A payload violation is reported with a pointer from the message root")
    func payloadViolationPointer() throws {
        let broken = envelopeExamples[0].replacing(["data", "pickupLocation", "latitude"], with: 91)
        let error = #expect(throws: ContractError.self) { try validator.validate(body(broken)) }
        #expect(error?.code == .schemaViolation)
        #expect(error?.violations.map(\.instanceLocation) == ["/data/pickupLocation/latitude"])
        #expect(error?.violations.first?.keyword == "maximum")
        #expect(error?.violations.first?.schemaLocation == RepositoryFiles.idBase + "common.v1.json#/$defs/geoLocation/properties/latitude/maximum")
    }

    @Test("An event from a service that does not own its type is refused as unexpectedProducer")
    func unexpectedProducer() throws {
        let forged = envelopeExamples[0].replacing(["producer"], with: "drone")
        let error = #expect(throws: ContractError.self) { try validator.validate(body(forged)) }
        #expect(error?.code == .unexpectedProducer)
    }

    @Test("A validated envelope gives its typed payload, and refuses another payload type")
    func typedPayload() throws {
        let envelope = try validator.validate(body(envelopeExamples[0]))
        let typed = try envelope.typed(as: DeliveryRequested.self)
        #expect(typed.data.ownerId == envelopeExamples[0]["data"]?["ownerId"]?.stringValue)
        #expect(typed.data.packageInfo.size == .small)
        #expect(typed.deliveryId == envelope.deliveryId)
        let error = #expect(throws: ContractError.self) { try envelope.payload(as: PackageCreated.self) }
        #expect(error?.code == .payloadTypeMismatch)
    }

    @Test("A typed envelope encodes every field, causationId as null, occurredAt in UTC with milliseconds")
    func typedEnvelopeEncoding() throws {
        let occurredAt = try #require(RFC3339.date(from: "2026-05-01T11:00:00.5+02:00"))
        let envelope = EventEnvelope(
            occurredAt: occurredAt, deliveryId: UUID(), causationId: nil, data: DeliveryRequested.sample())
        let json = try JSONValue(parsing: EventCoding.makeEncoder().encode(envelope))
        #expect(json.objectValue?.keys.sorted() == ["causationId", "data", "deliveryId", "id", "occurredAt", "producer", "type", "version"])
        #expect(json["causationId"] == .null)
        #expect(json["occurredAt"] == "2026-05-01T09:00:00.500Z")
        #expect(json["data"]?["pickupTime"] == "2026-06-15T08:00:00.000Z")
        #expect(json["type"] == "delivery.requested")
        #expect(json["version"] == 1)
        #expect(json["producer"] == "ingestion")
        #expect(validator.envelope.validate(json).isEmpty)
        let decoded = try EventCoding.makeDecoder().decode(EventEnvelope<DeliveryRequested>.self, from: Data(json.serialized()))
        #expect(decoded == envelope)
        #expect(throws: DecodingError.self) {
            try EventCoding.makeDecoder().decode(EventEnvelope<PackageCreated>.self, from: Data(json.serialized()))
        }
    }

    @Test("An envelope caused by another keeps the delivery id and records the cause")
    func causedBy() throws {
        let cause = try validator.validate(body(envelopeExamples[0]))
        let next = EventEnvelope(data: PackageCreated.sample(), causedBy: cause)
        #expect(next.deliveryId == cause.deliveryId)
        #expect(next.causationId == cause.id)
        #expect(next.producer == .package)
        let erased = try validator.validate(next)
        #expect(erased.causationId == cause.id)
        let roundTrip = try validator.validate(erased.serialized())
        #expect(roundTrip == erased)
    }

    @Test("A type-erased envelope survives Codable with any JSON coder")
    func erasedCodable() throws {
        let envelope = try validator.validate(body(envelopeExamples[1]))
        let data = try JSONEncoder().encode(envelope)
        #expect(try JSONDecoder().decode(AnyEventEnvelope.self, from: data) == envelope)
        #expect(try validator.validate(data) == envelope)
    }

    @Test("ContractError's description is short; debugDescription lists each violation and the source position")
    func errorDescriptions() throws {
        let broken = envelopeExamples[0]
            .replacing(["data", "ownerId"], with: "secret owner with spaces")
            .replacing(["data", "expedited"], with: "yes")
        let error = try #require(#expect(throws: ContractError.self) { try validator.validate(body(broken)) })
        #expect(error.violations.count == 2)
        #expect(!error.description.contains("secret"))
        #expect(!error.description.contains("/data/"))
        #expect(error.description.contains("schemaViolation"))
        #expect(error.debugDescription.contains("/data/ownerId"))
        #expect(error.debugDescription.contains("/data/expedited"))
        #expect(error.debugDescription.contains("ContractValidator.swift:"))
        #expect(!error.debugDescription.contains("secret"))
    }
}
