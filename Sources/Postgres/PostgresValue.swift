public import Foundation
import UUIDText

/// A statement parameter: its PostgreSQL type and its text form, or NULL.
///
/// Build values with the typed factories (`.uuid(id)`, `.int(5)`, `.timestamp(date)`,
/// `.jsonb(json)`, ...) or literals (`"text"`, `42`, `true`, `nil`). Every factory takes an
/// optional, so a Swift `nil` becomes a NULL of that type. Values are always sent as parameters,
/// never spliced into SQL.
public struct PostgresValue: Hashable, Sendable, CustomStringConvertible {
    /// The type the server is told the parameter has (`.unspecified` lets the server infer it).
    public var dataType: PostgresDataType
    /// The value in PostgreSQL's text input format; `nil` is SQL NULL.
    public var text: String?

    /// A value of any type from its text input format, for types without a factory here.
    public init(dataType: PostgresDataType, text: String?) {
        self.dataType = dataType
        self.text = text
    }

    /// Whether this is SQL NULL.
    public var isNull: Bool { text == nil }

    /// An untyped NULL; the server infers its type from the statement.
    public static let null = PostgresValue(dataType: .unspecified, text: nil)

    /// A `text` value.
    public static func text(_ value: String?) -> PostgresValue {
        PostgresValue(dataType: .text, text: value)
    }

    /// An `int8` value (also fits `int2` and `int4` columns).
    public static func int(_ value: Int?) -> PostgresValue {
        PostgresValue(dataType: .int8, text: value.map { String($0) })
    }

    /// An `int2` value.
    public static func int16(_ value: Int16?) -> PostgresValue {
        PostgresValue(dataType: .int2, text: value.map { String($0) })
    }

    /// An `int4` value.
    public static func int32(_ value: Int32?) -> PostgresValue {
        PostgresValue(dataType: .int4, text: value.map { String($0) })
    }

    /// An `int8` value.
    public static func int64(_ value: Int64?) -> PostgresValue {
        PostgresValue(dataType: .int8, text: value.map { String($0) })
    }

    /// A `float8` value; infinities and NaN included.
    public static func double(_ value: Double?) -> PostgresValue {
        PostgresValue(dataType: .float8, text: value.map(floatText))
    }

    /// A `numeric` value, exact.
    public static func numeric(_ value: Decimal?) -> PostgresValue {
        PostgresValue(dataType: .numeric, text: value.map { $0.description })
    }

    /// A `bool` value.
    public static func bool(_ value: Bool?) -> PostgresValue {
        PostgresValue(dataType: .bool, text: value.map { $0 ? "t" : "f" })
    }

    /// A `uuid` value.
    public static func uuid(_ value: UUID?) -> PostgresValue {
        PostgresValue(dataType: .uuid, text: value?.lowercaseText)
    }

    /// A `timestamptz` value, sent in UTC with microsecond precision (finer digits are rounded).
    public static func timestamp(_ value: Date?) -> PostgresValue {
        PostgresValue(dataType: .timestamptz, text: value.map(PostgresDateText.timestampText))
    }

    /// A `json` value from JSON text.
    public static func json(_ value: String?) -> PostgresValue {
        PostgresValue(dataType: .json, text: value)
    }

    /// A `jsonb` value from JSON text.
    public static func jsonb(_ value: String?) -> PostgresValue {
        PostgresValue(dataType: .jsonb, text: value)
    }

    /// A `jsonb` value from UTF-8 JSON bytes (for example `JSONEncoder` output).
    public static func jsonb(utf8 bytes: some Collection<UInt8>) -> PostgresValue {
        PostgresValue(dataType: .jsonb, text: String(decoding: bytes, as: UTF8.self))
    }

    /// A `bytea` value (sent in hex form).
    public static func bytea(_ value: [UInt8]?) -> PostgresValue {
        PostgresValue(dataType: .bytea, text: value.map(hexText))
    }

    /// A `uuid[]` value, e.g. for `WHERE id = ANY($1)`.
    public static func uuidArray(_ values: [UUID]) -> PostgresValue {
        PostgresValue(dataType: .uuidArray, text: "{" + values.map(\.lowercaseText).joined(separator: ",") + "}")
    }

    /// An `int8[]` value.
    public static func int64Array(_ values: [Int64]) -> PostgresValue {
        PostgresValue(dataType: .int8Array, text: "{" + values.map { String($0) }.joined(separator: ",") + "}")
    }

    /// A `text[]` value; every element is quoted, so any text is safe.
    public static func textArray(_ values: [String]) -> PostgresValue {
        PostgresValue(dataType: .textArray, text: array(values.map { .text($0) }).text)
    }

    /// An array of `elements` in PostgreSQL's array text form, each element quoted (or NULL), of
    /// unspecified type: the statement casts it, e.g. `unnest($1::timestamptz[])`, so one
    /// parameter carries a column of many rows, NULLs included.
    public static func array(_ elements: [PostgresValue]) -> PostgresValue {
        var text = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
            text += element.text.map(quotedArrayElement) ?? "NULL"
        }
        return PostgresValue(dataType: .unspecified, text: text + "}")
    }

    public var description: String {
        guard let text else { return "NULL" }
        return "\(text)::\(dataType)"
    }

    private static func floatText(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return String(value)
    }

    private static func hexText(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(2 + bytes.count * 2)
        text.append(UInt8(ascii: "\\"))
        text.append(UInt8(ascii: "x"))
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The element in double quotes, `"` and `\` escaped (over UTF-8 bytes: JSON bodies are long).
    private static func quotedArrayElement(_ element: String) -> String {
        let (quote, backslash) = (UInt8(ascii: "\""), UInt8(ascii: "\\"))
        var quoted = [UInt8]()
        quoted.reserveCapacity(element.utf8.count + 16)
        quoted.append(quote)
        for byte in element.utf8 {
            if byte == quote || byte == backslash { quoted.append(backslash) }
            quoted.append(byte)
        }
        quoted.append(quote)
        return String(decoding: quoted, as: UTF8.self)
    }
}

extension PostgresValue: ExpressibleByStringLiteral {
    /// A `text` value from a string literal.
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension PostgresValue: ExpressibleByIntegerLiteral {
    /// An `int8` value from an integer literal.
    public init(integerLiteral value: Int) {
        self = .int(value)
    }
}

extension PostgresValue: ExpressibleByFloatLiteral {
    /// A `float8` value from a floating-point literal.
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension PostgresValue: ExpressibleByBooleanLiteral {
    /// A `bool` value from `true` or `false`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension PostgresValue: ExpressibleByNilLiteral {
    /// An untyped NULL from `nil`.
    public init(nilLiteral: ()) {
        self = .null
    }
}
