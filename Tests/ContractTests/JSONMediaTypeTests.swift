import Contracts
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
}
