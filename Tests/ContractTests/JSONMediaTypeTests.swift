import Contracts
import UUIDText
import Foundation
import Testing

/// `JSONMediaType.matches`: which `Content-Type` values are JSON, and `UUIDText`'s parse.
@Suite("JSON media type and UUID text")
struct JSONMediaTypeTests {
    @Test("application/json with or without parameters, any case and blanks, is JSON", arguments: [
        "application/json", "Application/JSON", "application/json; charset=utf-8", "  application/json\t;x=y", "application/json;",
    ])
    func json(_ value: String) {
        #expect(JSONMediaType.matches(value))
    }

    @Test("other types, look-alikes and blanks are not JSON", arguments: [
        "application/jsonx", "application/json-patch+json", "text/json", "", " ", ";application/json", "application/ json",
    ])
    func notJSON(_ value: String) {
        #expect(!JSONMediaType.matches(value))
    }

    @Test("UUIDText reads what Foundation reads, and refuses what it refuses")
    func uuidText() {
        let id = UUID()
        for text in [id.uuidString, id.uuidString.lowercased()] { #expect(UUIDText.uuid(text) == id) }
        for text in ["", "x", String(id.uuidString.dropLast()), id.uuidString + "0", id.uuidString.replacingOccurrences(of: "-", with: "_"), "g" + id.uuidString.dropFirst()] {
            #expect(UUIDText.uuid(text) == nil)
            #expect(UUID(uuidString: text) == nil)
        }
    }

    @Test("UUIDText writes what Foundation writes (upper case), lower case, and 32 digits in a row")
    func uuidTextWriting() {
        let fixed = [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))]
        for id in fixed + (0..<500).map({ _ in UUID() }) {
            #expect(id.uppercaseText == id.uuidString)
            #expect(id.lowercaseText == id.uuidString.lowercased())
            #expect(UUIDText.string(id, uppercase: false, grouped: false) == id.uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
            #expect(UUIDText.uuid(id.lowercaseText) == id)
        }
    }

    @Test("the JSON value coders write UUIDs as Foundation's coders do and read either case, refusing a malformed one")
    func uuidCoding() throws {
        struct Holder: Codable, Equatable { var id: UUID; var other: UUID? }
        let holder = Holder(id: UUID(), other: UUID())
        let tree = try JSONValueEncoder().encode(holder)
        let foundation = try JSONValue(parsing: Array(try JSONEncoder().encode(holder)))
        #expect(tree == foundation)
        #expect(try JSONValueDecoder().decode(Holder.self, from: tree) == holder)
        let lower = JSONValue.object(["id": .string(holder.id.lowercaseText)])
        #expect(try JSONValueDecoder().decode(Holder.self, from: lower) == Holder(id: holder.id, other: nil))
        #expect(throws: DecodingError.self) {
            try JSONValueDecoder().decode(Holder.self, from: .object(["id": .string("not-a-uuid")]))
        }
    }
}
