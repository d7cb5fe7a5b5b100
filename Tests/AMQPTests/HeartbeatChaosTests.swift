import AMQP
import Foundation
import IntegrationSupport
import Testing

/// Heartbeats need seconds of real idleness, which a loaded test run cannot promise; the test
/// command runs this alone in its chaos phase (`FABRIKAM_CHAOS=1`).
@Suite("HeartbeatChaosTests: idle connections and heartbeats", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["FABRIKAM_CHAOS"] == "1", "run by scripts/test.sh in its chaos phase"))
struct HeartbeatChaosTests {
    @Test("heartbeats: an idle connection that polls survives, one that does not is dropped and reconnects")
    func heartbeatsKeepAnIdleConnectionAlive() async throws {
        var configuration = try AMQPConfiguration(url: TestServers.amqpURL())
        configuration.heartbeatSeconds = 2
        let polled = try await AMQPConnection.connect(configuration)
        let idle = try await AMQPConnection.connect(configuration)
        let queue = "test.heartbeat.\(UUID().uuidString.prefix(8))"
        try await polled.declareQueue(queue)
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(500))
            try await polled.poll()
        }
        #expect(try await polled.publish(AMQPOutgoingMessage(exchange: "", routingKey: queue, body: Array("{}".utf8))) == .confirmed)
        // The broker closes a connection that misses two heartbeats; the next call notices.
        let dropped = await #expect(throws: AMQPError.self) {
            _ = try await idle.publish(AMQPOutgoingMessage(exchange: "", routingKey: queue, body: Array("{}".utf8)), timeout: .seconds(5))
        }
        #expect(dropped?.code.closesConnection == true)
        try await idle.reconnect()
        #expect(try await idle.publish(AMQPOutgoingMessage(exchange: "", routingKey: queue, body: Array("{}".utf8))) == .confirmed)
        try await polled.deleteQueue(queue)
        await polled.close()
        await idle.close()
    }

}
