import AMQP
import Choreography
import Configuration
import Foundation
import Testing

/// The one reader of every setting: precedence, empty values, validation errors and secrets, without servers.
@Suite("Configuration: one reader of every setting")
struct ServiceSettingsTests {
    @Test("<SERVICE>_<KEY> wins over <KEY>; another service's key is not read; a service's name may have a hyphen")
    func servicePrefixWins() {
        let environment = ["DATABASE_URL": "plain", "PACKAGE_DATABASE_URL": "package's", "DRONE_PREFETCH": "7", "SAGA_INSPECT_AMQP_URL": "inspect's"]
        #expect(ServiceSettings(service: "package", environment: environment).string("DATABASE_URL") == "package's")
        #expect(ServiceSettings(service: "drone", environment: environment).string("DATABASE_URL") == "plain")
        #expect(ServiceSettings(environment: environment).string("DATABASE_URL") == "plain")
        #expect(ServiceSettings(service: "package", environment: environment).string("PREFETCH") == nil)
        #expect(ServiceSettings(service: "saga-inspect", environment: environment).string("AMQP_URL") == "inspect's")
    }

    @Test("an empty value counts as unset, unless the key gives emptiness a meaning")
    func emptyIsUnset() throws {
        let settings = ServiceSettings(service: "delivery", environment: ["WORKERS": "", "DELIVERY_NO_FLY_ZONES": ""])
        #expect(settings.string("WORKERS") == nil)
        #expect(try settings.integer("WORKERS", default: 4, minimum: 1) == 4)
        #expect(settings.string("DELIVERY_NO_FLY_ZONES", emptyMeansUnset: false) == "")
    }

    @Test("an in-memory provider serves as well as the environment, with the same precedence")
    func inMemoryProvider() throws {
        let provider = InMemoryProvider(values: ["workers": "3", "history.workers": "9", "queue.type": "quorum"])
        let settings = ServiceSettings(service: "history", provider: provider)
        #expect(try settings.integer("WORKERS", default: 4, minimum: 1) == 9)
        #expect(try ServiceSettings(provider: provider).integer("WORKERS", default: 4, minimum: 1) == 3)
        let configuration = try ChoreographyConfiguration(reading: settings, schema: "history")
        #expect(configuration.workers == 9)
        #expect(configuration.queueKind == .quorum)
    }

    @Test("a malformed value is a SettingError naming the key, the requirement and the value", arguments: [
        ("WORKERS", "0", "WORKERS: must be an integer ≥ 1, got '0'"),
        ("WORKERS", "many", "WORKERS: must be an integer ≥ 1, got 'many'"),
        ("FAULT_CRASH_PROBABILITY", "1.5", "FAULT_CRASH_PROBABILITY: must be between 0 and 1, got '1.5'"),
        ("QUEUE_TYPE", "lazy", "QUEUE_TYPE: must be classic or quorum, got 'lazy'"),
    ])
    func malformed(key: String, value: String, description: String) {
        let error = #expect(throws: SettingError.self) {
            try ChoreographyConfiguration.fromEnvironment(service: "echo", schema: "echo", environment: [key: value])
        }
        #expect(error?.description == description)
    }

    @Test("a malformed plain key is not read when the service's own key is set; an error names the variable that was set")
    func servicePrefixIsValidated() throws {
        let environment = ["PREFETCH": "nonsense", "PACKAGE_PREFETCH": "10"]
        #expect(try ChoreographyConfiguration.fromEnvironment(service: "package", schema: "package", environment: environment).prefetch == 10)
        #expect(throws: SettingError.self) { try ChoreographyConfiguration.fromEnvironment(service: "drone", schema: "drone", environment: environment) }
        #expect(throws: SettingError(key: "SAGA_INSPECT_PREFETCH", "must be an integer ≥ 1, got '0'")) {
            try ChoreographyConfiguration.fromEnvironment(service: "saga-inspect", schema: "s", environment: ["SAGA_INSPECT_PREFETCH": "0", "PREFETCH": "5"])
        }
    }

    @Test("a service's password file follows the same precedence as its URL")
    func passwordFilePrecedence() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try "from-file".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = [
            "DATABASE_URL": "postgresql://anyone@db/fabrikam", "PACKAGE_DATABASE_URL": "postgresql://package@db/fabrikam",
            "PACKAGE_DATABASE_PASSWORD_FILE": file.path,
        ]
        #expect(try ServiceSettings(service: "package", environment: environment).url("DATABASE_URL") == "postgresql://package:from-file@db/fabrikam")
        #expect(try ServiceSettings(service: "drone", environment: environment).url("DATABASE_URL") == "postgresql://anyone@db/fabrikam")
    }

    @Test("secrets: URLs with a password, password files, API keys; not URLs without one or plain settings", arguments: [
        ("DATABASE_URL", "postgresql://package:pw@db/fabrikam", true),
        ("PACKAGE_AMQP_ADMIN_URL", "amqp://admin:pw@broker/%2f", true),
        ("AMQP_PASSWORD_FILE", "/run/secrets/amqp", true),
        ("FABRIKAM_API_KEY", "fk_live_x", true),
        ("PGPASSWORD", "pw", true),
        ("DATABASE_URL", "postgresql://package@db/fabrikam", false),
        ("AMQP_MANAGEMENT_URL", "http://broker:15672", false),
        ("WORKERS", "4", false),
    ])
    func secrets(name: String, value: String, secret: Bool) {
        #expect(ServiceSettings.isSecret(name: name, value: value) == secret)
    }

    @Test("the environment's printout redacts every secret")
    func printoutRedactsSecrets() {
        let provider = ServiceSettings.environmentProvider([
            "DATABASE_URL": "postgresql://package:hunter2@db/fabrikam", "FABRIKAM_API_KEY": "fk_live_topsecret", "WORKERS": "4",
        ])
        let printout = String(reflecting: provider)
        #expect(!printout.contains("hunter2"))
        #expect(!printout.contains("topsecret"))
        #expect(printout.contains("WORKERS=4"))
        #expect(printout.contains("<REDACTED>"))
    }
}
