public import Foundation

/// The text form of UUIDs (8-4-4-4-12 hexadecimal digits), parsed and written by hand: on Linux,
/// Foundation parses with `sscanf` (`UUID(uuidString:)`) and writes with `snprintf`
/// (`uuidString`), which showed in the services' profiles (about 3 % of the history service's
/// CPU), and every message carries several ids that go through JSON, the broker's headers and SQL.
public enum UUIDText {
    /// The 16 bytes of a UUID text (either case), or `nil` if `string` is not one.
    public static func bytes(_ string: String) -> [UInt8]? {
        if let result = string.utf8.withContiguousStorageIfAvailable({ parse($0) }) { return result }
        return parse(Array(string.utf8))
    }

    /// The UUID a text (either case) denotes, or `nil`.
    public static func uuid(_ string: String) -> UUID? {
        bytes(string).map(uuid(bytes:))
    }

    /// The UUID UTF-8 text (either case) denotes, or `nil`.
    public static func uuid<Text: RandomAccessCollection<UInt8>>(utf8 text: Text) -> UUID? where Text.Index == Int {
        parse(text).map(uuid(bytes:))
    }

    /// The text of `uuid`, in upper case (Foundation's `uuidString`) or lower case, 8-4-4-4-12 or
    /// (not `grouped`) 32 digits in a row.
    public static func string(_ uuid: UUID, uppercase: Bool, grouped: Bool = true) -> String {
        let digits = uppercase ? upperDigits : lowerDigits
        return withUnsafeBytes(of: uuid.uuid) { raw in
            String(unsafeUninitializedCapacity: 36, initializingUTF8With: { output in
                var at = 0
                for (index, byte) in raw.enumerated() {
                    if grouped, index == 4 || index == 6 || index == 8 || index == 10 {
                        output[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    output[at] = digits[Int(byte >> 4)]
                    output[at + 1] = digits[Int(byte & 0x0F)]
                    at += 2
                }
                return at
            })
        }
    }

    private static let upperDigits = Array("0123456789ABCDEF".utf8)
    private static let lowerDigits = Array("0123456789abcdef".utf8)

    private static func uuid(bytes b: [UInt8]) -> UUID {
        UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    private static func parse<Bytes: RandomAccessCollection<UInt8>>(_ text: Bytes) -> [UInt8]? where Bytes.Index == Int {
        guard text.count == 36 else { return nil }
        var output = [UInt8](repeating: 0, count: 16)
        var nibble = 0
        var offset = 0
        for byte in text {
            defer { offset += 1 }
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            output[nibble >> 1] |= nibble & 1 == 0 ? value << 4 : value
            nibble += 1
        }
        return output
    }
}

extension UUID {
    /// The id's text in upper case: Foundation's `uuidString`, written without `snprintf`.
    public var uppercaseText: String { UUIDText.string(self, uppercase: true) }
    /// The id's text in lower case (PostgreSQL's form, and the broker headers').
    public var lowercaseText: String { UUIDText.string(self, uppercase: false) }
}
