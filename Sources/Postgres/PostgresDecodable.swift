public import Foundation
import UUIDText

/// A Swift type that can be read from a result cell (`row.decode(T.self, column:)`).
///
/// Conformances check the column's type, so decoding an `int8` column as `UUID` is a clear
/// `.decoding` error rather than a surprise. `Optional` decodes NULL as `nil`; every other
/// conformance throws on NULL.
public protocol PostgresDecodable: Sendable {
    /// Decodes a cell; `cell.bytes` is `nil` when the value is NULL.
    init(from cell: PostgresCell) throws
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// `nil` for NULL, otherwise the wrapped type's decoding.
    public init(from cell: PostgresCell) throws {
        self = cell.bytes == nil ? nil : try Wrapped(from: cell)
    }
}

extension String: PostgresDecodable {
    /// Decodes text-like columns: text, varchar, char, name, json, jsonb, xml, and user-defined
    /// types such as enums.
    public init(from cell: PostgresCell) throws {
        let bytes = try cell.nonNullBytes(decoding: String.self)
        guard cell.dataType.isTextual else { throw cell.typeMismatch(String.self) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}

extension Int: PostgresDecodable {
    /// Decodes int2, int4 and int8 columns.
    public init(from cell: PostgresCell) throws {
        self = try PostgresIntegerText.decode(cell)
    }
}

extension Int64: PostgresDecodable {
    /// Decodes int2, int4 and int8 columns.
    public init(from cell: PostgresCell) throws {
        self = try PostgresIntegerText.decode(cell)
    }
}

extension Int32: PostgresDecodable {
    /// Decodes int2 and int4 columns, and int8 values that fit.
    public init(from cell: PostgresCell) throws {
        self = try PostgresIntegerText.decode(cell)
    }
}

extension Int16: PostgresDecodable {
    /// Decodes int2 columns, and wider integers whose values fit.
    public init(from cell: PostgresCell) throws {
        self = try PostgresIntegerText.decode(cell)
    }
}

extension Double: PostgresDecodable {
    /// Decodes float8, float4 and numeric columns (numeric may lose precision), and integers.
    public init(from cell: PostgresCell) throws {
        let bytes = try cell.nonNullBytes(decoding: Double.self)
        switch cell.dataType {
        case .float8, .float4, .numeric, .int2, .int4, .int8: break
        default: throw cell.typeMismatch(Double.self)
        }
        if bytes.elementsEqual("NaN".utf8) { self = .nan; return }
        if bytes.elementsEqual("Infinity".utf8) { self = .infinity; return }
        if bytes.elementsEqual("-Infinity".utf8) { self = -.infinity; return }
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else { throw cell.malformed(Double.self) }
        self = value
    }
}

extension Decimal: PostgresDecodable {
    /// Decodes numeric and integer columns exactly.
    public init(from cell: PostgresCell) throws {
        let bytes = try cell.nonNullBytes(decoding: Decimal.self)
        switch cell.dataType {
        case .numeric, .int2, .int4, .int8: break
        default: throw cell.typeMismatch(Decimal.self)
        }
        guard let value = Decimal(string: String(decoding: bytes, as: UTF8.self), locale: nil) else {
            throw cell.malformed(Decimal.self)
        }
        self = value
    }
}

extension Bool: PostgresDecodable {
    /// Decodes bool columns.
    public init(from cell: PostgresCell) throws {
        let bytes = try cell.nonNullBytes(decoding: Bool.self)
        guard cell.dataType == .bool else { throw cell.typeMismatch(Bool.self) }
        switch bytes.first {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: throw cell.malformed(Bool.self)
        }
    }
}

extension UUID: PostgresDecodable {
    /// Decodes uuid columns.
    public init(from cell: PostgresCell) throws {
        let bytes = try cell.nonNullBytes(decoding: UUID.self)
        guard cell.dataType == .uuid else { throw cell.typeMismatch(UUID.self) }
        guard let value = UUIDText.uuid(utf8: bytes) else { throw cell.malformed(UUID.self) }
        self = value
    }
}

extension Date: PostgresDecodable {
    /// Decodes timestamptz columns with microsecond precision; timestamp columns are read as
    /// UTC and date columns as UTC midnight.
    public init(from cell: PostgresCell) throws {
        let bytes = try cell.nonNullBytes(decoding: Date.self)
        switch cell.dataType {
        case .timestamptz, .timestamp, .date: break
        default: throw cell.typeMismatch(Date.self)
        }
        guard let value = PostgresDateText.date(from: bytes) else { throw cell.malformed(Date.self) }
        self = value
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// Decodes bytea columns to their bytes, and text or JSON columns to their UTF-8 bytes.
    public init(from cell: PostgresCell) throws {
        let bytes = try cell.nonNullBytes(decoding: [UInt8].self)
        if cell.dataType == .bytea {
            guard let value = PostgresByteaText.decodeHex(bytes) else { throw cell.malformed([UInt8].self) }
            self = value
        } else if cell.dataType.isTextual {
            self = Array(bytes)
        } else {
            throw cell.typeMismatch([UInt8].self)
        }
    }
}

extension Data: PostgresDecodable {
    /// Decodes bytea columns to their bytes, and text or JSON columns to their UTF-8 bytes.
    public init(from cell: PostgresCell) throws {
        self = Data(try [UInt8](from: cell))
    }
}

/// Integer text parsing without going through `String`.
package enum PostgresIntegerText {
    static func decode<Value: FixedWidthInteger>(_ cell: PostgresCell) throws -> Value {
        let bytes = try cell.nonNullBytes(decoding: Value.self)
        switch cell.dataType {
        case .int2, .int4, .int8, .oidType: break
        default: throw cell.typeMismatch(Value.self)
        }
        guard let value: Value = parse(bytes) else {
            throw PostgresError(.decoding, message: "column \"\(cell.columnName)\" of type \(cell.dataType) holds a value that does not fit \(Value.self)")
        }
        return value
    }

    package static func parse<Value: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>) -> Value? {
        var index = bytes.startIndex
        let negative = index < bytes.endIndex && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.endIndex else { return nil }
        var value: Value = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let digit = Value(byte - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1 && !overflow2 else { return nil }
            value = next
            index += 1
        }
        return value
    }
}

/// bytea's hex text form (`\x0a1b...`), which connections select with `bytea_output=hex`.
enum PostgresByteaText {
    static func decodeHex(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        guard bytes.count >= 2, bytes.count % 2 == 0,
              bytes[bytes.startIndex] == UInt8(ascii: "\\"), bytes[bytes.startIndex + 1] == UInt8(ascii: "x")
        else { return nil }
        var result = [UInt8]()
        result.reserveCapacity((bytes.count - 2) / 2)
        var index = bytes.startIndex + 2
        while index < bytes.endIndex {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
