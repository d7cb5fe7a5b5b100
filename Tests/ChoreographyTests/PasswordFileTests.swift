@testable import Choreography
import Foundation
import Testing

/// A URL's password can come from a file (a Docker secret) instead of the environment.
@Suite("Configuration: passwords from files")
struct PasswordFileTests {
    @Test("the password file replaces the URL's password, percent-encoded; without one the URL is unchanged")
    func replaces() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try "s3cr/t@x\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = [
            "AMQP_URL": "amqp://drone@broker:5672/%2f", "AMQP_PASSWORD_FILE": file.path,
            "DATABASE_URL": "postgresql://drone:old@db:5432/fabrikam",
        ]
        let configuration = try ChoreographyConfiguration.fromEnvironment(service: "drone", schema: "drone", environment: environment)
        #expect(configuration.amqpURL == "amqp://drone:s3cr%2Ft%40x@broker:5672/%2f")
        #expect(configuration.databaseURL == "postgresql://drone:old@db:5432/fabrikam")
        #expect(PasswordFile.key(for: "DATABASE_ADMIN_URL") == "DATABASE_ADMIN_PASSWORD_FILE")
    }

    @Test("a missing or empty file, or a URL without a user, is a setting error naming the key")
    func refuses() throws {
        let missing = ["AMQP_URL": "amqp://drone@broker/%2f", "AMQP_PASSWORD_FILE": "/nonexistent/pw"]
        #expect(throws: SettingError(key: "AMQP_PASSWORD_FILE", "cannot read /nonexistent/pw")) {
            try ChoreographyConfiguration.fromEnvironment(service: "d", schema: "d", environment: missing)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try "pw".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let noUser = ["AMQP_URL": "amqp://broker/%2f", "AMQP_PASSWORD_FILE": file.path]
        #expect(throws: SettingError(key: "AMQP_URL", "must name a user when AMQP_PASSWORD_FILE is set")) {
            try ChoreographyConfiguration.fromEnvironment(service: "d", schema: "d", environment: noUser)
        }
    }
}
