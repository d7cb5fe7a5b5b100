public import Foundation

/// The text form of UUIDs (8-4-4-4-12 hexadecimal digits, either case), parsed without the
/// `sscanf` Foundation's `UUID(uuidString:)` uses, since every message carries several.
enum UUIDText {
    /// The 16 bytes of a UUID text, or `nil` if `string` is not one.
    static func bytes(_ string: String) -> [UInt8]? {
        if let result = string.utf8.withContiguousStorageIfAvailable({ parse($0) }) { return result }
        return parse(Array(string.utf8))
    }

    /// The UUID a text denotes, or `nil`.
    static func uuid(_ string: String) -> UUID? {
        guard let b = bytes(string) else { return nil }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
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
    /// A new random (version 4) UUID drawn from the system's random number generator. On Linux,
    /// Foundation's `UUID()` opens and reads `/dev/urandom` for every id (three system calls);
    /// every emitted event needs one.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        var b = (high.bigEndian, low.bigEndian)
        return withUnsafeMutableBytes(of: &b) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40  // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80  // RFC 4122 variant
            return UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                               raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
        }
    }
}
