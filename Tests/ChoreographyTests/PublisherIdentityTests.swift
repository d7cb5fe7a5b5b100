import AMQP
@testable import Choreography
import Contracts
import Testing

/// The envelope's producer must be who published the message: its broker-validated `user_id`, or
/// the publisher a trusted relayer (the service itself, an operator's replay) names on its copy.
@Suite("Incoming messages: the producer is who published them")
struct PublisherIdentityTests {
    let relayers: Set<String> = ["delivery", "saga-admin"]

    func properties(user: String?, producerHeader: String? = nil) -> AMQPProperties {
        var properties = AMQPProperties(userId: user)
        if let producerHeader { properties.headers[EventExchange.Header.producer] = .string(producerHeader) }
        return properties
    }

    @Test("a producer's own message is accepted, whatever its producer header says")
    func own() {
        #expect(PublisherIdentity.mismatch(properties(user: "drone"), producer: "drone", relayers: relayers) == nil)
        #expect(PublisherIdentity.publisher(of: properties(user: "drone", producerHeader: "account"), relayers: relayers) == "drone")
    }

    @Test("another service's credentials cannot publish a producer's event, header or not")
    func forged() {
        let forged = PublisherIdentity.mismatch(properties(user: "account", producerHeader: "drone"), producer: "drone", relayers: relayers)
        #expect(forged == "published by broker user 'account', but the envelope's producer is 'drone'")
        #expect(PublisherIdentity.mismatch(properties(user: nil, producerHeader: "drone"), producer: "drone", relayers: relayers)?
            .hasPrefix("user_id is missing") == true)
        #expect(PublisherIdentity.mismatch(properties(user: "", producerHeader: "drone"), producer: "drone", relayers: relayers) != nil)
    }

    @Test("a relayer's copy is believed for the publisher it names, and only a relayer's")
    func relayed() {
        #expect(PublisherIdentity.mismatch(properties(user: "delivery", producerHeader: "drone"), producer: "drone", relayers: relayers) == nil)
        #expect(PublisherIdentity.mismatch(properties(user: "saga-admin", producerHeader: "drone"), producer: "drone", relayers: relayers) == nil)
        // A relayer's copy without a header is its own message.
        #expect(PublisherIdentity.publisher(of: properties(user: "saga-admin"), relayers: relayers) == "saga-admin")
    }

    @Test("a relayed copy names the publisher established for the original, so a forgery stays a forgery after a replay")
    func relayingKeepsTheEstablishedPublisher() {
        let forgedOriginal = properties(user: "account", producerHeader: "drone")
        let parkedCopy = PublisherIdentity.relaying(forgedOriginal, relayers: relayers)
        #expect(parkedCopy.headers[EventExchange.Header.producer]?.stringValue == "account")
        // The replay goes out as saga-admin (the connection stamps its user), still naming account.
        var replayed = parkedCopy
        replayed.userId = "saga-admin"
        #expect(PublisherIdentity.mismatch(replayed, producer: "drone", relayers: relayers) != nil)

        let genuine = PublisherIdentity.relaying(properties(user: "drone", producerHeader: "drone"), relayers: relayers)
        var retried = genuine
        retried.userId = "delivery"
        #expect(PublisherIdentity.mismatch(retried, producer: "drone", relayers: relayers) == nil)

        let anonymous = PublisherIdentity.relaying(properties(user: nil, producerHeader: "drone"), relayers: relayers)
        #expect(anonymous.headers[EventExchange.Header.producer] == nil)
        #expect(EventCodec.parkingReason(ContractError(.forgedProducer, "x")) == "forged-producer")
    }
}
