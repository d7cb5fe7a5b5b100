import AMQP
import Choreography
import Foundation
import IntegrationSupport
import Testing

/// Restarts of the real broker and database under load. They disturb every other test, so the
/// test command runs them alone, in a second phase (`FABRIKAM_CHAOS=1`).
@Suite("ChaosTests: broker and database restarts mid-stream", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["FABRIKAM_CHAOS"] == "1", "run by scripts/test.sh in its chaos phase"))
struct ChaosTests {
    private func restartMidStream(_ command: String) async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue()
        let total = 400
        try await harness.declareTopology()
        try await harness.publish(try (0..<total).map { _ in try harness.request(owner: "chaos") })
        try await harness.withRunningService {
            try await waitUntil("some progress") { try await harness.count("SELECT count(*) FROM echoes") >= 50 }
            try TestServers.run(command)
            try await waitUntil("all \(total) echoes", timeout: .seconds(120)) {
                (try? await harness.count("SELECT count(*) FROM echoes")) == total
            }
            try await waitUntil("an empty outbox", timeout: .seconds(60)) {
                (try? await harness.count("SELECT count(*) FROM outbox")) == 0
            }
            // One more event, handled only once the consumer has recovered (and, had it consumed
            // twice, registered its second consumer): the recovered consumer is the only one, so
            // a reconnect does not double the prefetch.
            try await harness.publish([try harness.request(owner: "chaos-after")])
            try await waitUntil("the event sent after the restart", timeout: .seconds(120)) {
                (try? await harness.count("SELECT count(*) FROM echoes")) == total + 1
            }
            let consumers = try await harness.consumerCount(harness.topology.workQueue)
            #expect(consumers == 1, "\(consumers) consumers on the work queue")
        }
        #expect(try await harness.count("SELECT count(*) FROM inbox") == total + 1)
        let emitted = try await harness.drain(capture, expecting: total + 1, timeout: .seconds(60))
        #expect(Set(emitted.compactMap { $0.properties.headers["causation-id"]?.stringValue }).count == total + 1)
        try await harness.cleanUp()
    }

    @Test("RabbitMQ restarted mid-stream: nothing lost, nothing applied twice")
    func brokerRestart() async throws {
        try await restartMidStream("restart-rabbitmq")
    }

    @Test("PostgreSQL restarted mid-stream: nothing lost, nothing applied twice")
    func databaseRestart() async throws {
        try await restartMidStream("restart-postgres")
    }
}
