import Foundation

/// How to reach and talk to a broker, parsed from an AMQP URI.
///
/// `amqp://user:pass@host:port/vhost?heartbeat=30&connection_timeout=10&connection_name=x`:
/// the vhost is percent-decoded (`%2f` is `/`), an empty path means `/`, the port defaults to
/// 5672, user and password to `guest`. Query keys: `heartbeat` (seconds, default 30),
/// `connection_timeout` (seconds, default 10), `connection_name` (shown by the broker).
public struct AMQPConfiguration: Sendable, CustomStringConvertible {
    /// Broker host name or address.
    public var host: String
    /// Broker port.
    public var port: Int
    /// Login user.
    public var user: String
    /// Login password; never printed.
    public var password: String
    /// Virtual host.
    public var virtualHost: String
    /// Heartbeat interval proposed to the broker, in seconds (0 disables heartbeats).
    public var heartbeatSeconds: Int
    /// Time allowed for the TCP connect and for each synchronous AMQP method.
    public var timeout: Duration
    /// The connection name shown in the broker's management tools.
    public var connectionName: String?

    /// Parses an AMQP URI; throws `AMQPError` with code `.invalidURL` for a malformed one.
    public init(url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "amqp" else {
            throw AMQPError(.invalidURL, context: "parsing the broker URL (expected amqp://user:pass@host:port/vhost)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw AMQPError(.invalidURL, context: "parsing the broker URL: no host")
        }
        self.host = host
        self.port = components.port ?? 5672
        self.user = components.user.flatMap { $0.removingPercentEncoding } ?? "guest"
        self.password = components.password.flatMap { $0.removingPercentEncoding } ?? "guest"
        let path = components.percentEncodedPath
        if path.isEmpty || path == "/" {
            self.virtualHost = "/"
        } else {
            guard let decoded = String(path.dropFirst()).removingPercentEncoding else {
                throw AMQPError(.invalidURL, context: "parsing the broker URL: bad virtual host")
            }
            self.virtualHost = decoded
        }
        self.heartbeatSeconds = 30
        self.timeout = .seconds(10)
        self.connectionName = nil
        for item in components.queryItems ?? [] {
            switch item.name {
            case "heartbeat":
                guard let value = item.value.flatMap(Int.init), value >= 0 else {
                    throw AMQPError(.invalidURL, context: "parsing the broker URL: heartbeat must be a number of seconds")
                }
                heartbeatSeconds = value
            case "connection_timeout":
                guard let value = item.value.flatMap(Double.init), value > 0 else {
                    throw AMQPError(.invalidURL, context: "parsing the broker URL: connection_timeout must be positive seconds")
                }
                timeout = .milliseconds(Int(value * 1000))
            case "connection_name":
                connectionName = item.value
            default:
                continue
            }
        }
    }

    /// The URL without the password.
    public var description: String {
        let vhost = virtualHost == "/" ? "%2f" : (virtualHost.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? virtualHost)
        return "amqp://\(user)@\(host):\(port)/\(vhost)"
    }
}
