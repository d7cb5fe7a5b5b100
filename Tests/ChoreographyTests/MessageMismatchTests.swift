import AMQP
@testable import Choreography
import Contracts
import Foundation
import Testing

/// A message whose routing key or properties contradict its envelope is refused before any
/// handler sees it (consumers are bound by routing key, so it would reach the wrong services).
@Suite("Incoming messages: envelope and message agree")
struct MessageMismatchTests {
    let deliveryId = UUID()
    let eventId = UUID()

    func envelope() throws -> AnyEventEnvelope {
        let body = try EventCodec.encode(AccountValidated.sample(), id: eventId, deliveryId: deliveryId, causationId: nil, occurredAt: Date())
        return try ContractValidator().validate(Array(body.utf8))
    }

    func properties(messageId: UUID? = nil, type: String = "account.validated", correlationId: UUID? = nil) -> AMQPProperties {
        AMQPProperties(
            contentType: "application/json", correlationId: (correlationId ?? deliveryId).uuidString.lowercased(),
            messageId: (messageId ?? eventId).uuidString.lowercased(), type: type)
    }

    @Test("the message as published, and as it comes back from a delay or parking queue, is accepted")
    func agreeing() throws {
        let envelope = try envelope()
        #expect(EventCodec.mismatch(routingKey: "account.validated", properties: properties(), envelope: envelope) == nil)
        var retried = properties()
        retried.headers[MessageHeaders.originalRoutingKey] = .string("account.validated")
        #expect(EventCodec.mismatch(routingKey: "svc.events", properties: retried, envelope: envelope) == nil)
        var withCharset = properties()
        withCharset.contentType = "application/json; charset=utf-8"
        #expect(EventCodec.mismatch(routingKey: "account.validated", properties: withCharset, envelope: envelope) == nil)
    }

    @Test("a missing content_type, message_id, type or correlation_id, or a content_type that is not JSON, is named")
    func missing() throws {
        let envelope = try envelope()
        func mismatch(_ change: (inout AMQPProperties) -> Void) -> String? {
            var properties = properties()
            change(&properties)
            return EventCodec.mismatch(routingKey: "account.validated", properties: properties, envelope: envelope)
        }
        #expect(mismatch { $0.contentType = nil } == "content_type is missing (application/json expected)")
        #expect(mismatch { $0.contentType = "application/jsonx" } == "content_type 'application/jsonx' is not application/json")
        #expect(mismatch { $0.messageId = nil } == "message_id is missing")
        #expect(mismatch { $0.type = nil } == "type property is missing")
        #expect(mismatch { $0.correlationId = nil } == "correlation_id is missing")
        #expect(EventCodec.mismatch(routingKey: "account.validated", properties: AMQPProperties(), envelope: envelope) != nil)
    }

    @Test("a routing key, message_id, type or correlation_id that contradicts the envelope is named")
    func contradicting() throws {
        let envelope = try envelope()
        let routed = EventCodec.mismatch(routingKey: "account.rejected", properties: properties(), envelope: envelope)
        #expect(routed?.contains("routing key 'account.rejected'") == true)
        var retried = properties()
        retried.headers[MessageHeaders.originalRoutingKey] = .string("drone.delivered")
        #expect(EventCodec.mismatch(routingKey: "svc.events", properties: retried, envelope: envelope)?.contains("drone.delivered") == true)
        #expect(EventCodec.mismatch(routingKey: "account.validated", properties: properties(messageId: UUID()), envelope: envelope)?
            .hasPrefix("message_id") == true)
        #expect(EventCodec.mismatch(routingKey: "account.validated", properties: properties(type: "account.rejected"), envelope: envelope)?
            .hasPrefix("type property") == true)
        #expect(EventCodec.mismatch(routingKey: "account.validated", properties: properties(correlationId: UUID()), envelope: envelope)?
            .hasPrefix("correlation_id") == true)
        #expect(EventCodec.parkingReason(ContractError(.messageMismatch, "x")) == "message-mismatch")
    }
}
