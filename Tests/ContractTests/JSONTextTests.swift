import Contracts
import Foundation
import Testing

/// The JSON parser, serializer and RFC 3339 timestamps under the contracts.
@Suite("JSON text and timestamps")
struct JSONTextTests {
    static let invalidTexts = [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{'a':1}", "{\"a\" 1}", "01", "1.", ".5", "-", "1e", "+1", "NaN",
        "Infinity", "tru", "nulll", "\"abc", "\"a\\x\"", "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\\ud800\"",
        "\"tab\there\"", "1 2", "[1] x", "1e400",
    ]

    @Test("Invalid JSON is refused with a byte offset", arguments: invalidTexts)
    func invalidText(text: String) {
        let error = #expect(throws: ContractError.self) { try JSONValue(parsing: text) }
        #expect(error?.code == .notJSON)
        #expect(error?.message.contains("at byte") == true)
    }

    @Test("Valid JSON parses to the expected value")
    func validText() throws {
        let text = #" {"s": "a\"b\\c\/\n\u00e9\ud83d\ude00", "n": [-0.5e2, 0, 12, 1E3, true, false, null], "o": {}, "a": []} "#
        let value = try JSONValue(parsing: text)
        #expect(value["s"] == .string("a\"b\\c/\né😀"))
        #expect(value["n"] == [-50, 0, 12, 1000, true, false, nil])
        #expect(value["o"] == .object([:]))
        #expect(value["a"] == .array([]))
    }

    @Test("A repeated member name is refused (readers disagree on which copy wins)")
    func duplicateMember() throws {
        let error = #expect(throws: ContractError.self) { try JSONValue(parsing: #"{"a": 1, "b": {"c": 1, "c": 2}}"#) }
        #expect(error?.message.contains("duplicate member name \"c\"") == true)
        #expect(try JSONValue(parsing: #"{"a": {"c": 1}, "b": {"c": 2}}"#)["b"]?["c"] == 2)
    }

    @Test("Nesting deeper than the limit is refused instead of exhausting the stack")
    func nestingLimit() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: ContractError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONValue(parsing: fine) }
    }

    @Test("Serialization round-trips, sorts members, escapes control characters and writes whole numbers plainly")
    func serialization() throws {
        let value: JSONValue = ["b": [1, 2.5, "x\u{1}\"\n"], "a": nil, "c": ["d": true]]
        #expect(value.jsonText == #"{"a":null,"b":[1,2.5,"x\u0001\"\n"],"c":{"d":true}}"#)
        #expect(try JSONValue(parsing: value.serialized()) == value)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(value.serialized()))
        #expect(decoded == value)
        #expect(try JSONValue(parsing: JSONEncoder().encode(value)) == value)
    }

    @Test("Timestamps are written in UTC with milliseconds and read back to the same instant")
    func timestamps() throws {
        let date = try #require(RFC3339.date(from: "2026-05-01T14:00:00.250+02:00"))
        #expect(RFC3339.string(from: date) == "2026-05-01T12:00:00.250Z")
        #expect(RFC3339.date(from: RFC3339.string(from: date)) == date)
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(RFC3339.date(from: "2026-05-01T12:00:00Z")?.timeIntervalSince1970 == 1_777_636_800)
    }
}
