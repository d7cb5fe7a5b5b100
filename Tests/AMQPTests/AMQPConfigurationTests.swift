import AMQP
import Testing

@Suite("AMQP URL parsing")
struct AMQPConfigurationTests {
    @Test func parsesEveryPart() throws {
        let configuration = try AMQPConfiguration(url: "amqp://alice:s%40cret@broker.local:5673/orders?heartbeat=15&connection_timeout=2.5&connection_name=ingestion")
        #expect(configuration.host == "broker.local")
        #expect(configuration.port == 5673)
        #expect(configuration.user == "alice")
        #expect(configuration.password == "s@cret")
        #expect(configuration.virtualHost == "orders")
        #expect(configuration.heartbeatSeconds == 15)
        #expect(configuration.timeout == .milliseconds(2500))
        #expect(configuration.connectionName == "ingestion")
        #expect(!"\(configuration)".contains("cret"))
    }

    @Test func defaultsAndTheDefaultVirtualHost() throws {
        let plain = try AMQPConfiguration(url: "amqp://localhost")
        #expect(plain.port == 5672)
        #expect(plain.user == "guest")
        #expect(plain.virtualHost == "/")
        #expect(try AMQPConfiguration(url: "amqp://h:1/%2f").virtualHost == "/")
        #expect(try AMQPConfiguration(url: "amqp://h:1/").virtualHost == "/")
    }

    @Test(arguments: ["http://localhost", "amqp://", "not a url", "amqp://h?heartbeat=-1"])
    func rejectsMalformedURLs(_ url: String) {
        #expect(throws: AMQPError.self) { try AMQPConfiguration(url: url) }
    }

    @Test func queueOptionsBecomeRabbitMQArguments() {
        let options = AMQPQueueOptions(kind: .quorum, deadLetterExchange: "dlx", deadLetterRoutingKey: "parked", messageTTLMilliseconds: 500, deliveryLimit: 3)
        #expect(options.arguments == [
            "x-queue-type": "quorum", "x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "parked",
            "x-message-ttl": .int64(500), "x-delivery-limit": .int64(3),
        ])
        #expect(AMQPQueueOptions().arguments.isEmpty)
    }
}
