import AMQP
package import Choreography
import Foundation
import PlainHTTPClient

/// Creates broker users and sets their rights through RabbitMQ's management HTTP API, as an
/// administrator: what `rabbitmqctl add_user`, `set_permissions` and `set_topic_permissions` do,
/// but from any host that reaches the API (a local launcher, a Compose setup container, a test).
package struct BrokerAdministrator: Sendable {
    /// The API's host.
    package var host: String
    /// The API's port (RabbitMQ's default is the AMQP port + 10000: 15672).
    package var port: Int
    private let authorization: String
    private let vhost: String

    /// An administrator acting with the credentials and virtual host of `amqpAdminURL`, on the
    /// management API at `managementURL` (default: the broker's host, AMQP port + 10000).
    package init(amqpAdminURL: String, managementURL: String? = nil) throws {
        let amqp = try AMQPConfiguration(url: amqpAdminURL)
        if let managementURL {
            guard let components = URLComponents(string: managementURL), let host = components.host else {
                throw BrokerAdministrationError("the management URL '\(managementURL)' has no host (expected http://host:port)")
            }
            self.host = host
            self.port = components.port ?? 15672
        } else {
            host = amqp.host
            port = amqp.port + 10_000
        }
        authorization = "Basic " + Data("\(amqp.user):\(amqp.password)".utf8).base64EncodedString()
        vhost = amqp.virtualHost
    }

    /// Creates `grant.user` (or changes its password) with no tags, and gives it exactly the grant's rights.
    package func apply(_ grant: BrokerGrant, password: String) async throws {
        try await put("/api/users/\(Self.segment(grant.user))", ["password": password, "tags": ""])
        try await put("/api/permissions/\(Self.segment(vhost))/\(Self.segment(grant.user))", [
            "configure": grant.configure, "write": grant.write, "read": grant.read,
        ])
        if let exchange = grant.topicExchange {
            try await put("/api/topic-permissions/\(Self.segment(vhost))/\(Self.segment(grant.user))", [
                "exchange": exchange, "write": grant.topicWrite, "read": grant.topicRead,
            ])
        }
    }

    /// Deletes a user; a user that does not exist is not an error.
    package func deleteUser(_ user: String) async throws {
        let response = try await request("DELETE", "/api/users/\(Self.segment(user))")
        guard (200..<300).contains(response.status) || response.status == 404 else {
            throw BrokerAdministrationError("deleting broker user \(user): HTTP \(response.status) \(response.text)")
        }
    }

    private func put(_ path: String, _ body: [String: String]) async throws {
        let json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let response = try await request("PUT", path, body: Array(json))
        guard (200..<300).contains(response.status) else {
            throw BrokerAdministrationError("PUT \(path): HTTP \(response.status) \(response.text)")
        }
    }

    private func request(_ method: String, _ path: String, body: [UInt8]? = nil) async throws -> PlainHTTPClient.Response {
        var headers = [("Authorization", authorization)]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return try await PlainHTTPClient(host: host, port: port).request(method, path, headers: headers, body: body)
    }

    /// A URL path segment: everything but unreserved characters percent-encoded (`/` becomes `%2F`).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }
}

/// Why the broker's management API refused or failed a change.
package struct BrokerAdministrationError: Error, CustomStringConvertible {
    /// What failed, with the API's answer.
    package var description: String

    /// An error saying `description`.
    package init(_ description: String) { self.description = description }
}
