public import Contracts

/// One broker user's rights, as RabbitMQ expresses them: regular expressions over the names of
/// the exchanges and queues it may configure, write (publish to, bind) and read (consume, bind
/// from), and the routing keys it may publish and bind on the event exchange (topic permissions).
public struct BrokerGrant: Sendable, Hashable {
    /// The broker user.
    public var user: String
    /// Exchanges and queues the user may declare and delete.
    public var configure: String
    /// Exchanges it may publish to, queues it may bind.
    public var write: String
    /// Queues it may consume, exchanges it may bind from.
    public var read: String
    /// The topic exchange the topic permission is for (nil: none).
    public var topicExchange: String?
    /// Routing keys it may publish on `topicExchange`.
    public var topicWrite: String
    /// Routing keys (binding patterns) it may bind with on `topicExchange`.
    public var topicRead: String
}

/// Who may do what on the broker, derived from the event catalogue: each service of the saga is
/// a broker user named `<queue prefix><service>` that configures only its own queues, consumes
/// only its own queues, and publishes on the event exchange only the event types it produces
/// (plus its own retry and parking copies through the default exchange); `saga-inspect` reads
/// the parking queues; `saga-admin` reads them and sends parked messages back.
public enum BrokerGrants {
    /// The services whose events the broker carries (every saga service, history included: it consumes).
    public static let services: [Producer] = Producer.all

    /// The broker user of a service in a system whose queues carry `queuePrefix`.
    public static func user(of service: Producer, queuePrefix: String) -> String { queuePrefix + service.rawValue }

    /// The broker user of the read-only inspector.
    public static func inspectorUser(queuePrefix: String) -> String { queuePrefix + "saga-inspect" }

    /// The broker user of the operator's tool (it replays parked messages: a trusted relayer).
    public static func operatorUser(queuePrefix: String) -> String { queuePrefix + "saga-admin" }

    /// A service's rights; `bindingExchange` is where its work queue is bound (default: `exchange`;
    /// the schedule harness's own exchange under it).
    public static func service(_ service: Producer, exchange: String, bindingExchange: String? = nil, queuePrefix: String) -> BrokerGrant {
        let ownQueues = regexLiteral(queuePrefix + service.rawValue) + "\\..*"
        let exchangeName = regexLiteral(exchange)
        let readExchanges = Set([exchange, bindingExchange ?? exchange]).sorted().map(regexLiteral).joined(separator: "|")
        let produced = EventCatalog.producedTypes(by: service).map { regexLiteral($0.rawValue) }
        // A service that produces nothing (history) may not publish on the event exchange at all.
        let writeExchanges = produced.isEmpty ? "amq\\.default" : "\(exchangeName)|amq\\.default"
        return BrokerGrant(
            user: user(of: service, queuePrefix: queuePrefix),
            configure: "^\(ownQueues)$",
            write: "^(\(writeExchanges)|\(ownQueues))$",
            read: "^(\(readExchanges)|\(ownQueues))$",
            topicExchange: exchange,
            topicWrite: produced.isEmpty ? "^$" : "^(\(produced.joined(separator: "|")))$",
            topicRead: ".*")
    }

    /// The rights of every user of one system: the services, the inspector and the operator's tool.
    public static func all(exchange: String, bindingExchange: String? = nil, queuePrefix: String) -> [BrokerGrant] {
        let parked = "^" + regexLiteral(queuePrefix) + "(" + services.map { regexLiteral($0.rawValue) }.joined(separator: "|") + ")\\.parked$"
        let inspector = BrokerGrant(
            user: inspectorUser(queuePrefix: queuePrefix), configure: "^$", write: "^$", read: parked,
            topicExchange: nil, topicWrite: "^$", topicRead: "^$")
        let admin = BrokerGrant(
            user: operatorUser(queuePrefix: queuePrefix), configure: "^$", write: "^amq\\.default$", read: parked,
            topicExchange: nil, topicWrite: "^$", topicRead: "^$")
        return services.map { service($0, exchange: exchange, bindingExchange: bindingExchange, queuePrefix: queuePrefix) } + [inspector, admin]
    }

    /// `text` as a regular expression that matches exactly it.
    static func regexLiteral(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
