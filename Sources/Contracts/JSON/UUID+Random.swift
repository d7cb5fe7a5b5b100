public import Foundation

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
