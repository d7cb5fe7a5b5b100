import Foundation
import Postgres
import Testing

/// The text codecs, without a server.
@Suite("Postgres text formats")
struct PostgresTextFormatTests {
    @Test("timestamps format and parse back to the same microsecond", arguments: [
        0, 1_717_171_717.123456, -0.000001, -1_234_567_890.654321, 16_725_225_600.000001, -62_135_596_800, 253_402_300_799.999999,
    ])
    func timestampRoundTrip(_ seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let text = PostgresDateText.timestampText(date)
        let parsed = try #require(PostgresDateText.date(from: ArraySlice(text.utf8)))
        #expect((parsed.timeIntervalSince1970 * 1e6).rounded() == (seconds * 1e6).rounded(), "\(text)")
    }

    @Test("server timestamp texts parse, offsets included")
    func timestampParsing() throws {
        func parse(_ text: String) -> Double? {
            PostgresDateText.date(from: ArraySlice(text.utf8)).map { ($0.timeIntervalSince1970 * 1e6).rounded() / 1e6 }
        }
        #expect(PostgresDateText.timestampText(Date(timeIntervalSince1970: 1_709_210_096.789012)) == "2024-02-29 12:34:56.789012+00")
        #expect(PostgresDateText.timestampText(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00+00")
        #expect(parse("2024-02-29 12:34:56.789012+00") == 1_709_210_096.789012)
        #expect(parse("2024-02-29 18:04:56.789012+05:30") == 1_709_210_096.789012)
        #expect(parse("2024-02-29 07:34:56.78901-05") == 1_709_210_096.78901)
        #expect(parse("1970-01-01 00:00:00+00") == 0)
        #expect(parse("1969-12-31") == -86_400)
        #expect(parse("0001-01-01 00:00:00+00 BC") == -62_167_219_200)
        #expect(parse("2024-13-01") == nil)
        #expect(parse("2024-02-29 12:34") == nil)
        #expect(parse("yesterday") == nil)
    }

    @Test("parameters have the text forms the server expects")
    func parameterText() {
        #expect(PostgresValue.double(.infinity).text == "Infinity")
        #expect(PostgresValue.double(-.infinity).text == "-Infinity")
        #expect(PostgresValue.double(.nan).text == "NaN")
        #expect(PostgresValue.bytea([0, 15, 255]).text == "\\x000fff")
        #expect(PostgresValue.textArray(["a\"b", "c\\d"]).text == #"{"a\"b","c\\d"}"#)
        #expect(PostgresValue.array([.text("a\"b"), .null, .int(3)]).text == #"{"a\"b",NULL,"3"}"#)
        #expect(PostgresValue.array([]).text == "{}" && PostgresValue.array([]).dataType == .unspecified)
        #expect(PostgresValue.bool(true).text == "t")
        #expect(PostgresValue.uuid(nil).isNull && PostgresValue.uuid(nil).dataType == .uuid)
        let literal: PostgresValue = nil
        #expect(literal == .null)
        #expect(PostgresValue.int(-5) == -5)
    }

    @Test("integer text parsing detects overflow")
    func integerParsing() {
        #expect(PostgresIntegerText.parse(ArraySlice("-9223372036854775808".utf8)) == Int64.min)
        #expect(PostgresIntegerText.parse(ArraySlice("9223372036854775808".utf8)) as Int64? == nil)
        #expect(PostgresIntegerText.parse(ArraySlice("32768".utf8)) as Int16? == nil)
        #expect(PostgresIntegerText.parse(ArraySlice("-".utf8)) as Int? == nil)
        #expect(PostgresIntegerText.parse(ArraySlice("12a".utf8)) as Int? == nil)
    }
}
