import AMQP
import Contracts
import Foundation
import UUIDText

/// Where the runtime meets the contracts: validating incoming messages, encoding emitted events,
/// and reading the runtime's own headers.
enum EventCodec {
    /// Validates a delivery against the contracts and checks that its envelope's producer
    /// published it (see ``PublisherIdentity``: as the broker user `<queuePrefix><producer>`;
    /// `relayers` are the broker users whose copies are believed), and returns the event for the handler. Throws `ContractError` for input that
    /// can never succeed.
    static func decodeIncoming(
        _ delivery: AMQPDelivery, validator: ContractValidator, relayers: Set<String>, queuePrefix: String = ""
    ) throws(ContractError) -> ReceivedEvent {
        let envelope = try validator.validate(delivery.body)
        if let mismatch = mismatch(routingKey: delivery.routingKey, properties: delivery.properties, envelope: envelope) {
            throw ContractError(.messageMismatch, mismatch)
        }
        let producerUser = BrokerGrants.user(of: envelope.producer, queuePrefix: queuePrefix)
        if let forged = PublisherIdentity.mismatch(delivery.properties, producer: producerUser, relayers: relayers) {
            throw ContractError(.forgedProducer, forged)
        }
        return ReceivedEvent(envelope: envelope, body: delivery.body, attempt: attempt(of: delivery))
    }

    /// What in the message contradicts its envelope or is missing, if anything: the routing key
    /// it was published with (kept in a header when it went through a delay or parking queue)
    /// must be the envelope's type, since consumers are bound by routing key; `content_type` must
    /// be JSON; `message_id`, `type` and `correlation_id` must be present and be the envelope's
    /// id, type and delivery id (every publisher of the system sets them).
    static func mismatch(routingKey delivered: String, properties: AMQPProperties, envelope: AnyEventEnvelope) -> String? {
        let type = envelope.type.rawValue
        let routingKey = properties.headers[MessageHeaders.originalRoutingKey]?.stringValue ?? delivered
        if routingKey != type { return "routing key '\(routingKey)' is not the envelope's type '\(type)'" }
        guard let contentType = properties.contentType else { return "content_type is missing (\(JSONMediaType.name) expected)" }
        if !JSONMediaType.matches(contentType) { return "content_type '\(contentType)' is not \(JSONMediaType.name)" }
        guard let messageId = properties.messageId else { return "message_id is missing" }
        if UUIDText.uuid(messageId) != envelope.id {
            return "message_id '\(messageId)' is not the envelope's id \(envelope.id.lowercaseText)"
        }
        guard let propertyType = properties.type else { return "type property is missing" }
        if propertyType != type { return "type property '\(propertyType)' is not the envelope's type '\(type)'" }
        guard let correlationId = properties.correlationId else { return "correlation_id is missing" }
        if UUIDText.uuid(correlationId) != envelope.deliveryId {
            return "correlation_id '\(correlationId)' is not the envelope's deliveryId \(envelope.deliveryId.lowercaseText)"
        }
        return nil
    }

    /// Encodes an emitted event as its JSON envelope text.
    static func encode<Event: DomainEvent>(
        _ event: Event, id: UUID, deliveryId: UUID, causationId: UUID?, occurredAt: Date
    ) throws -> String {
        let envelope = EventEnvelope(id: id, occurredAt: occurredAt, deliveryId: deliveryId, causationId: causationId, data: event)
        return String(decoding: try AnyEventEnvelope(envelope).serialized(), as: UTF8.self)
    }

    /// The attempt this delivery is: 1 unless a retry copy says more.
    static func attempt(of delivery: AMQPDelivery) -> Int {
        delivery.properties.headers[MessageHeaders.attempt]?.intValue.map { max(1, Int($0)) } ?? 1
    }

    /// The parking reason code for a contract failure.
    static func parkingReason(_ error: ContractError) -> String {
        switch error.code {
        case .notJSON: "not-json"
        case .unknownType: "unknown-type"
        case .unsupportedVersion: "unsupported-version"
        case .schemaViolation: "schema-violation"
        case .unexpectedProducer: "unexpected-producer"
        case .messageMismatch: "message-mismatch"
        case .forgedProducer: "forged-producer"
        default: "contract-\(error.code)"
        }
    }
}
