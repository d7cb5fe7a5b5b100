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

    /// The secret in the file at `path`, trimmed; a ``SettingError`` naming `what` when the
    /// file cannot be read or is empty. ``ServiceSettings/url(_:)`` reads URLs' passwords with it.
    public static func read(_ path: String, for what: String) throws(SettingError) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SettingError(key: what, "cannot read \(path)")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw SettingError(key: what, "\(path) is empty") }
        return secret
    }
}
