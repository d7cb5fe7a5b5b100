import AMQP
import Contracts
import Foundation

/// Where the runtime meets the contracts: validating incoming messages, encoding emitted events,
/// and reading the runtime's own headers.
enum EventCodec {
    /// Validates a delivery against the contracts and returns the event for the handler.
    /// Throws `ContractError` for input that can never succeed.
    static func decodeIncoming(_ delivery: AMQPDelivery, validator: ContractValidator) throws(ContractError) -> ReceivedEvent {
        let envelope = try validator.validate(delivery.body)
        return ReceivedEvent(envelope: envelope, body: delivery.body, attempt: attempt(of: delivery))
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
        default: "contract-\(error.code)"
        }
    }
}
