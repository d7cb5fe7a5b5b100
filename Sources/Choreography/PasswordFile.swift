import Foundation

/// A connection URL whose password comes from a file (a Docker or Kubernetes secret) rather than
/// the environment: `<NAME>_URL` gives the URL without it, `<NAME>_PASSWORD_FILE` the file (for
/// `AMQP_URL`, `AMQP_PASSWORD_FILE`; for `DATABASE_ADMIN_URL`, `DATABASE_ADMIN_PASSWORD_FILE`).
public enum PasswordFile {
    /// The key of the password file that goes with URL key `urlKey` (`AMQP_URL` → `AMQP_PASSWORD_FILE`).
    public static func key(for urlKey: String) -> String {
        (urlKey.hasSuffix("_URL") ? String(urlKey.dropLast(4)) : urlKey) + "_PASSWORD_FILE"
    }

    /// `url` with its password replaced by `password` (percent-encoded); nil if `url` has no user.
    public static func url(_ url: String, withPassword password: String) -> String? {
        guard var components = URLComponents(string: url), components.user != nil else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        components.percentEncodedPassword = password.addingPercentEncoding(withAllowedCharacters: allowed) ?? password
        return components.string
    }

    /// The URL under `urlKey`, with the password read from the file under its password-file key
    /// when that is set; `value` reads the environment (with the caller's precedence).
    public static func resolve(_ urlKey: String, value: (String) -> String?) throws -> String? {
        guard let url = value(urlKey) else { return nil }
        guard let path = value(key(for: urlKey)) else { return url }
        let password = try read(path, for: key(for: urlKey))
        guard let resolved = Self.url(url, withPassword: password) else {
            throw ChoreographyError(.configuration, "\(urlKey) must name a user when \(key(for: urlKey)) is set")
        }
        return resolved
    }

    /// `resolve(_:value:)` over a process environment, an empty variable counting as unset.
    public static func resolve(_ urlKey: String, environment: [String: String]) throws -> String? {
        try resolve(urlKey) { environment[$0].flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// The secret in the file at `path`, trimmed; a configuration error naming `what` when the
    /// file cannot be read or is empty.
    public static func read(_ path: String, for what: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ChoreographyError(.configuration, "\(what): cannot read \(path)")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw ChoreographyError(.configuration, "\(what): \(path) is empty") }
        return secret
    }
}
