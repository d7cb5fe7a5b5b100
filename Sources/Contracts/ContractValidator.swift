public import Foundation

/// Checks incoming message bodies against the contracts: the runtime calls it on every message
/// before any handler runs, and parks what it refuses.
///
/// Create it once (compiling the schemas is the expensive part) and share it; validating a
/// message parses the JSON once and walks the compiled envelope and payload schemas.
public struct ContractValidator: Sendable {
    /// The compiled schema documents.
    public let schemas: SchemaSet
    private let envelopeSchema: JSONSchema
    private let payloadSchemas: [EventType: [Int: JSONSchema]]

    /// The path of the envelope schema relative to `schemas/`.
    public static let envelopeSchemaPath = "envelope.v1.json"

    /// A validator over the schemas embedded in this module (generated from `schemas/`).
    public init() throws(ContractError) {
        try self.init(documents: Self.embeddedDocuments())
    }

    /// A validator over the given schema documents: the envelope schema and every
    /// `events/<type>.v<version>.json` they contain.
    public init(documents: [SchemaDocument]) throws(ContractError) {
        schemas = try SchemaSet(documents)
        guard let envelope = schemas.schema(Self.envelopeSchemaPath) else {
            throw ContractError(.invalidSchema, "no \(Self.envelopeSchemaPath) among the schema documents")
        }
        envelopeSchema = envelope
        var payloads: [EventType: [Int: JSONSchema]] = [:]
        for document in documents {
            guard let (type, version) = Self.eventSchemaName(document.path), let schema = schemas.schema(document.path)
            else { continue }
            payloads[type, default: [:]][version] = schema
        }
        payloadSchemas = payloads
    }

    /// The embedded copies of the `schemas/` files, parsed.
    public static func embeddedDocuments() throws(ContractError) -> [SchemaDocument] {
        var documents: [SchemaDocument] = []
        for file in EmbeddedSchemas.files {
            documents.append(try SchemaDocument(path: file.path, text: file.text))
        }
        return documents
    }

    /// `(type, version)` for a path `events/<type>.v<version>.json`.
    static func eventSchemaName(_ path: String) -> (EventType, Int)? {
        guard path.hasPrefix("events/"), path.hasSuffix(".json") else { return nil }
        let name = path.dropFirst("events/".count).dropLast(".json".count)
        guard let marker = name.range(of: ".v", options: .backwards), let version = Int(name[marker.upperBound...])
        else { return nil }
        return (EventType(String(name[..<marker.lowerBound])), version)
    }

    /// The event types that have a payload schema.
    public var eventTypes: [EventType] { payloadSchemas.keys.sorted() }

    /// The schema versions of an event type this validator accepts, ascending.
    public func supportedVersions(of type: EventType) -> [Int] { (payloadSchemas[type] ?? [:]).keys.sorted() }

    /// The payload schema of an event type in a version.
    public func payloadSchema(for type: EventType, version: Int) -> JSONSchema? { payloadSchemas[type]?[version] }

    /// The envelope schema.
    public var envelope: JSONSchema { envelopeSchema }

    /// Validates a message body and returns its envelope.
    ///
    /// Throws ``ContractError`` with code ``ContractError/Code/notJSON``,
    /// ``ContractError/Code/schemaViolation`` (envelope or `data`; pointers are from the body's
    /// root, `/data/...` for the payload), ``ContractError/Code/unknownType``,
    /// ``ContractError/Code/unsupportedVersion`` or ``ContractError/Code/unexpectedProducer``.
    public func validate(_ body: [UInt8]) throws(ContractError) -> AnyEventEnvelope {
        try validate(message: JSONValue(parsing: body))
    }

    /// Validates a message body held in `Data` (see ``validate(_:)-([UInt8])``).
    public func validate(_ body: Data) throws(ContractError) -> AnyEventEnvelope {
        try validate([UInt8](body))
    }

    /// Validates a parsed message (see ``validate(_:)-([UInt8])``).
    public func validate(message: JSONValue) throws(ContractError) -> AnyEventEnvelope {
        let envelopeViolations = envelopeSchema.validate(message)
        guard envelopeViolations.isEmpty else {
            throw ContractError(
                .schemaViolation, "the envelope breaks \(Self.envelopeSchemaPath)", violations: envelopeViolations)
        }
        guard let envelope = AnyEventEnvelope(validated: message) else {
            throw ContractError(.schemaViolation, "the envelope fields cannot be read")
        }
        guard let versions = payloadSchemas[envelope.type] else {
            throw ContractError(.unknownType, "no schema for event type \(envelope.type)")
        }
        guard let schema = versions[envelope.version] else {
            throw ContractError(
                .unsupportedVersion,
                "\(envelope.type) version \(envelope.version) is not supported (supported: "
                    + versions.keys.sorted().map(String.init).joined(separator: ", ") + ")")
        }
        let dataViolations = schema.validate(envelope.data, at: [.key("data")])
        guard dataViolations.isEmpty else {
            throw ContractError(
                .schemaViolation, "the data breaks \(envelope.type.schemaPath(version: envelope.version))",
                violations: dataViolations)
        }
        if let expected = EventCatalog.payloadType(for: envelope.type)?.producer, expected != envelope.producer {
            throw ContractError(
                .unexpectedProducer, "\(envelope.type) is produced by \(expected), not \(envelope.producer)")
        }
        return envelope
    }

    /// Validates an outgoing typed envelope, as a producer should before writing it to its outbox,
    /// and returns its type-erased form.
    public func validate<Payload>(_ envelope: EventEnvelope<Payload>) throws(ContractError) -> AnyEventEnvelope {
        try validate(message: AnyEventEnvelope(envelope).jsonValue)
    }
}
