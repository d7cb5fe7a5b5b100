import CLibPQ
import Foundation

/// The libpq keyword/value pairs a connection is opened with, parsed from a URL by libpq itself,
/// plus a printable target that never contains the password.
///
/// Every connection also gets `client_encoding=UTF8`, and startup options that pin the text
/// formats this client decodes (`DateStyle=ISO`, `TimeZone=UTC`, `bytea_output=hex`).
struct PostgresConnectionParameters: Sendable {
    /// Keywords and values in the order libpq should apply them.
    let pairs: [(keyword: String, value: String)]
    /// `postgresql://user@host:port/database`, without the password.
    let target: String
    /// The password, kept only to scrub it from messages.
    private let password: String?

    private static let startupOptions = "-c DateStyle=ISO -c TimeZone=UTC -c bytea_output=hex"

    init(url: String, applicationName: String?) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            let scrubbed = Self.scrub(message, password: Self.roughPassword(in: url))
            throw PostgresError(.invalidURL, message: "invalid database URL: \(Self.firstLine(scrubbed))")
        }
        defer { PQconninfoFree(options) }
        var parsed: [(keyword: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parsed.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        func value(_ keyword: String) -> String? { parsed.last { $0.keyword == keyword }?.value }

        var pairs = parsed.filter { !["application_name", "client_encoding", "options"].contains($0.keyword) }
        if value("connect_timeout") == nil { pairs.append(("connect_timeout", "10")) }
        if let name = applicationName ?? value("application_name") { pairs.append(("application_name", name)) }
        pairs.append(("client_encoding", "UTF8"))
        pairs.append(("options", [value("options"), Self.startupOptions].compactMap { $0 }.joined(separator: " ")))
        self.pairs = pairs
        self.password = value("password")

        let user = value("user") ?? "(default user)"
        let host = value("host") ?? value("hostaddr") ?? "(default host)"
        let port = value("port") ?? "5432"
        let database = value("dbname") ?? user
        self.target = "postgresql://\(user)@\(host):\(port)/\(database)"
    }

    /// Removes the password from a message (libpq does not print it, but be certain).
    func scrub(_ message: String) -> String {
        Self.scrub(message, password: password)
    }

    /// Calls `body` with NULL-terminated C arrays of the keywords and values.
    func withCArrays<Result>(
        _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) throws -> Result
    ) rethrows -> Result {
        let keywords = pairs.map { strdup($0.keyword) } + [nil]
        let values = pairs.map { strdup($0.value) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let constKeywords = keywords.map { $0.map { UnsafePointer($0) } }
        let constValues = values.map { $0.map { UnsafePointer($0) } }
        return try constKeywords.withUnsafeBufferPointer { keywordBuffer in
            try constValues.withUnsafeBufferPointer { valueBuffer in
                try body(keywordBuffer.baseAddress!, valueBuffer.baseAddress!)
            }
        }
    }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true).first ?? "")
            .trimmingCharacters(in: .whitespaces)
    }

    private static func scrub(_ message: String, password: String?) -> String {
        guard let password, !password.isEmpty else { return message }
        var scrubbed = message.replacingOccurrences(of: password, with: "***")
        if let decoded = password.removingPercentEncoding, !decoded.isEmpty {
            scrubbed = scrubbed.replacingOccurrences(of: decoded, with: "***")
        }
        return scrubbed
    }

    /// The password in a URL libpq could not parse: `scheme://user:password@host...` or a
    /// `password=` query key.
    private static func roughPassword(in url: String) -> String? {
        if let range = url.range(of: "password=") {
            return String(url[range.upperBound...].prefix { $0 != "&" && $0 != " " })
        }
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        return String(userInfo[userInfo.index(after: colon)...])
    }
}
