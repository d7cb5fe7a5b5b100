import Contracts
import Foundation
import Testing

/// `JSONValueEncoder`/`JSONValueDecoder` give the same JSON, and the same values, as Foundation's
/// coders configured by `EventCoding`, for every event and its envelope.
@Suite("JSON value coders")
struct JSONValueCodingTests {
    @Test("every event payload encodes to the JSON Foundation's encoder gives, and decodes back to itself")
    func payloadsMatchFoundation() throws {
        for type in EventCatalog.payloadTypes {
            try check(type)
        }
    }

    private func check<Event: DomainEvent>(_ type: Event.Type) throws {
        let sample = Event.sample()
        let ours = try JSONValueEncoder().encode(sample)
        let foundation = try JSONValue(parsing: [UInt8](EventCoding.makeEncoder().encode(sample)))
        #expect(ours == foundation, "\(Event.eventType)")
        #expect(try JSONValueDecoder().decode(Event.self, from: foundation) == sample, "\(Event.eventType)")
    }

    @Test("an envelope encodes like Foundation's encoder, and validates")
    func envelopeMatchesFoundation() throws {
        let occurredAt = Date(timeIntervalSince1970: 1_790_000_000.25)
        let envelope = EventEnvelope(id: UUID(), occurredAt: occurredAt, deliveryId: UUID(), causationId: UUID(), data: DroneAllocated.sample())
        let ours = try JSONValueEncoder().encode(envelope)
        #expect(ours == (try JSONValue(parsing: [UInt8](EventCoding.makeEncoder().encode(envelope)))))
        #expect(ours["occurredAt"]?.stringValue == "2026-09-21T14:13:20.250Z")
        let validated = try ContractValidator().validate(ours.serialized())
        #expect(try validated.payload(as: DroneAllocated.self) == DroneAllocated.sample())
        #expect(validated.occurredAt == occurredAt)
    }

    @Test("decoding errors name the path: a wrong type, a missing key, a fraction for an integer")
    func decodingErrors() throws {
        struct Inner: Codable, Equatable { var count: Int }
        struct Outer: Codable, Equatable { var name: String; var items: [Inner]; var note: String? }
        let good: JSONValue = ["name": "a", "items": [["count": 1], ["count": 2]]]
        #expect(try JSONValueDecoder().decode(Outer.self, from: good) == Outer(name: "a", items: [Inner(count: 1), Inner(count: 2)], note: nil))
        #expect(try JSONValueDecoder().decode(Outer.self, from: ["name": "a", "items": [], "note": nil]).note == nil)

        let wrongType: JSONValue = ["name": 5, "items": []]
        #expect { try JSONValueDecoder().decode(Outer.self, from: wrongType) } throws: { error in
            guard case DecodingError.typeMismatch(_, let context) = error else { return false }
            return context.codingPath.map(\.stringValue) == ["name"]
        }
        #expect { try JSONValueDecoder().decode(Outer.self, from: ["items": []]) } throws: { error in
            guard case DecodingError.keyNotFound(let key, _) = error else { return false }
            return key.stringValue == "name"
        }
        let fraction: JSONValue = ["name": "a", "items": [["count": 1], ["count": 2.5]]]
        #expect { try JSONValueDecoder().decode(Outer.self, from: fraction) } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.codingPath.map(\.stringValue) == ["items", "1", "count"]
        }
    }

    @Test("a payload that does not decode is undecodablePayload with the reason")
    func undecodablePayload() throws {
        var envelope = try AnyEventEnvelope(EventEnvelope(deliveryId: UUID(), causationId: nil, data: AccountValidated.sample()))
        envelope.data = ["ownerId": "o", "dailyLimit": "many", "deliveriesToday": 1]
        let error = #expect(throws: ContractError.self) { try envelope.payload(as: AccountValidated.self) }
        #expect(error?.code == .undecodablePayload)
        #expect(error?.message.contains("dailyLimit") == true)
    }

    @Test("what JSON cannot hold exactly is refused: non-finite numbers, integers past 2^53")
    func unencodableValues() throws {
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Int64.max]) }
        #expect(try JSONValueEncoder().encode(["x": 9_007_199_254_740_992 as Int64]) == ["x": 9_007_199_254_740_992.0])
    }
}

@Suite("Random event ids")
struct RandomUUIDTests {
    @Test("UUID.random() gives version 4, RFC 4122 variant ids that do not repeat")
    func versionVariantAndUniqueness() {
        let ids = (0..<10_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let bytes = id.uuid
            #expect(bytes.6 >> 4 == 4)
            #expect(bytes.8 >> 6 == 0b10)
            #expect(UUID(uuidString: id.uuidString) == id)
        }
    }
}
