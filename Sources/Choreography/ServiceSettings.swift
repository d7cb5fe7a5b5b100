public import Configuration
public import Foundation

/// Every setting of every executable, read through one swift-configuration `ConfigReader`.
///
/// The reader looks a key up as `<SERVICE>_<KEY>` first and as the plain `<KEY>` second (for
/// service `package`, `PACKAGE_DATABASE_URL` wins over `DATABASE_URL`); an empty value counts as
/// unset. Keys are written as their environment variables (`RETRY_MAX_ATTEMPTS`), which is also
/// how a ``SettingError`` names them. Secrets (URLs with a password, password files, API keys)
/// are marked secret, so swift-configuration redacts them wherever it prints or logs a value.
public struct ServiceSettings: Sendable {
    /// The reader every accessor below goes through.
    public let reader: ConfigReader
    /// The service whose `<SERVICE>_<KEY>` wins, if any.
    public let service: String?
    /// A reader of the service's own keys only, to name the key that was set in an error.
    private let serviceOnly: ConfigReader?

    /// Settings for `service` (nil: plain keys only) read from `environment`.
    public init(service: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(service: service, provider: Self.environmentProvider(environment))
    }

    /// Settings for `service` (nil: plain keys only) read from `provider` (tests pass an `InMemoryProvider`).
    public init(service: String? = nil, provider: some ConfigProvider) {
        let service = service.flatMap { $0.isEmpty ? nil : $0 }
        self.service = service
        reader = Self.reader(service: service, provider: provider)
        serviceOnly = service.map { ConfigReader(provider: Self.serviceKeys(of: $0, in: provider)) }
    }

    /// The one reader of the process environment: secrets marked, `<SERVICE>_<KEY>` before `<KEY>`.
    public static func reader(service: String?, environment: [String: String]) -> ConfigReader {
        reader(service: service, provider: environmentProvider(environment))
    }

    /// A reader over `provider` that, for `service`, looks every key up under the service's name first.
    public static func reader(service: String?, provider: some ConfigProvider) -> ConfigReader {
        guard let service, !service.isEmpty else { return ConfigReader(provider: provider) }
        return ConfigReader(providers: [serviceKeys(of: service, in: provider), provider])
    }

    /// `provider` seen through `service`'s keys: `KEY` reads `<SERVICE>_<KEY>`.
    private static func serviceKeys<Upstream: ConfigProvider>(of service: String, in provider: Upstream) -> KeyMappingProvider<Upstream> {
        KeyMappingProvider(upstream: provider) { key in AbsoluteConfigKey([service] + key.components, context: key.context) }
    }

    /// The variable a value of `name` came from: `<SERVICE>_<NAME>` when that is set, else `name`.
    public func source(of name: String) -> String {
        guard let service, let value = serviceOnly?.string(forKey: Self.key(name), isSecret: true), !value.isEmpty else { return name }
        return service.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() + "_" + name
    }

    /// The environment as a provider, each secret variable (``isSecret(name:value:)``) marked secret.
    public static func environmentProvider(_ environment: [String: String]) -> EnvironmentVariablesProvider {
        EnvironmentVariablesProvider(
            environmentVariables: environment, secretsSpecifier: .dynamic { name, value in isSecret(name: name, value: value) })
    }

    /// Whether environment variable `name` holds a secret: an API key, a password, a password
    /// file, a token, or a URL with a password in it.
    public static func isSecret(name: String, value: String) -> Bool {
        let name = name.uppercased()
        if ["PASSWORD", "SECRET", "TOKEN", "API_KEY"].contains(where: { name.contains($0) }) { return true }
        return name.hasSuffix("_URL") && URLComponents(string: value)?.password != nil
    }

    /// The configuration key for environment variable `name` (`DATABASE_URL` → `database.url`).
    public static func key(_ name: String) -> ConfigKey {
        ConfigKey(name.lowercased().split(separator: "_").map(String.init))
    }

    /// The value of `name`, nil when unset or empty.
    public func string(_ name: String, isSecret: Bool = false) -> String? {
        string(name, emptyMeansUnset: true, isSecret: isSecret)
    }

    /// The value of `name`; an empty value is returned as it is unless `emptyMeansUnset`.
    public func string(_ name: String, emptyMeansUnset: Bool, isSecret: Bool = false) -> String? {
        guard let value = reader.string(forKey: Self.key(name), isSecret: isSecret) else { return nil }
        return emptyMeansUnset && value.isEmpty ? nil : value
    }

    /// The value of `name`, or `fallback` when unset or empty.
    public func string(_ name: String, default fallback: String) -> String {
        string(name) ?? fallback
    }

    /// An integer ≥ `minimum` under `name`, or `fallback` when unset.
    public func integer(_ name: String, default fallback: Int, minimum: Int = 0) throws(SettingError) -> Int {
        try integer(name, minimum: minimum) ?? fallback
    }

    /// An integer ≥ `minimum` under `name`, nil when unset.
    public func integer(_ name: String, minimum: Int = 0) throws(SettingError) -> Int? {
        try parsed(name, "must be an integer ≥ \(minimum)") { Int($0).flatMap { $0 >= minimum ? $0 : nil } }
    }

    /// A probability in 0…1 under `name`, 0 when unset.
    public func probability(_ name: String) throws(SettingError) -> Double {
        try parsed(name, "must be between 0 and 1") { Double($0).flatMap { (0...1).contains($0) ? $0 : nil } } ?? 0
    }

    /// One of `Value`'s cases, by raw value, under `name`; nil when unset.
    public func choice<Value: RawRepresentable & CaseIterable>(_ name: String, of type: Value.Type = Value.self) throws(SettingError) -> Value?
    where Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue).joined(separator: " or ")
        return try parsed(name, "must be \(names)", Value.init(rawValue:))
    }

    /// The value under `name` as `parse` reads it (the text trimmed of blanks), nil when unset;
    /// a ``SettingError`` naming the variable that was set, `requirement` and the value when `parse` returns nil.
    public func parsed<Value>(_ name: String, _ requirement: String, _ parse: (String) -> Value?) throws(SettingError) -> Value? {
        guard let text = string(name) else { return nil }
        guard let value = parse(text.trimmingCharacters(in: .whitespaces)) else {
            throw SettingError(key: source(of: name), "\(requirement), got '\(text)'")
        }
        return value
    }

    /// The connection URL under `urlName` (secret), its password read from the file under the
    /// matching `<NAME>_PASSWORD_FILE` key when that is set (see ``PasswordFile``); nil when unset.
    public func url(_ urlName: String) throws(SettingError) -> String? {
        guard let url = string(urlName, isSecret: true) else { return nil }
        let fileKey = PasswordFile.key(for: urlName)
        guard let path = string(fileKey, isSecret: true) else { return url }
        let password = try PasswordFile.read(path, for: source(of: fileKey))
        guard let resolved = PasswordFile.url(url, withPassword: password) else {
            throw SettingError(key: source(of: urlName), "must name a user when \(source(of: fileKey)) is set")
        }
        return resolved
    }
}
