import Crypto
import Foundation

/// An API key's secret text and the one-way hash the store keeps of it: keys are 32 random bytes
/// from the system CSPRNG, base64url without padding, after the recognisable prefix `fdk_`; only
/// the SHA-256 of the whole text (lower-case hex) is ever stored.
package enum APIKeySecret {
    /// The prefix of every key (it lets secret scanners and people recognise one).
    package static let prefix = "fdk_"
    /// Random bytes in a key.
    package static let randomBytes = 32
    /// Characters after the prefix: 32 bytes in unpadded base64url.
    static let encodedLength = 43

    /// A new random key.
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + base64URL(bytes)
    }

    /// Whether `text` has the shape of a key (prefix, then 43 base64url characters); anything
    /// else is refused before the store is asked.
    package static func isWellFormed(_ text: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let body = text.utf8.dropFirst(prefix.utf8.count)
        return body.count == encodedLength && body.allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
        }
    }

    /// The hash the store keeps and looks keys up by: SHA-256 of the key's UTF-8, lower-case hex.
    package static func hash(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }

    /// Unpadded base64url (RFC 4648 §5).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
