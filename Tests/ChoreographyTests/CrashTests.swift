import AMQP
import Choreography
import Foundation
import IntegrationSupport
import PlainHTTPClient
import Testing


/// A `choreography-echo` daemon started as a child process, so it can be killed with SIGKILL.
final class EchoProcess {
    let process = Process()
    let port: Int

    init(_ harness: EchoHarness, extraEnvironment: [String: String] = [:]) throws {
        port = freePort()
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let binary = products.appendingPathComponent("choreography-echo")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw HarnessError("choreography-echo not built at \(binary.path); build with `swift build --build-tests`")
        }
        process.executableURL = binary
        var environment = harness.childEnvironment
        environment["HTTP_PORT"] = "\(port)"
        environment.merge(extraEnvironment) { _, new in new }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// GET a path on the daemon's HTTP port; nil while it does not answer.
    func get(_ path: String) async -> (status: Int, body: String)? {
        guard let response = try? await PlainHTTPClient(port: port, timeout: .seconds(5)).get(path) else { return nil }
        return (response.status, response.text)
    }

    func waitUntilReady() async throws {
        try await waitUntil("the echo daemon to be ready", timeout: .seconds(60)) {
            guard process.isRunning else {
                throw HarnessError("the echo daemon exited with status \(process.terminationStatus) before it was ready (port \(port))")
            }
            return await get("/health/ready")?.status == 200
        }
    }

    /// The value of a Prometheus counter line starting with `prefix`, 0 if absent.
    func metric(_ prefix: String) async -> Double {
        guard let body = await get("/metrics")?.body else { return 0 }
        return body.split(separator: "\n").filter { $0.hasPrefix(prefix) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    func killHard() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    func terminate(timeout: Duration = .seconds(30)) async throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("the daemon to exit after SIGTERM", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }
}

/// Processes killed at the worst moments lose nothing and apply nothing twice.
@Suite("Choreography runtime: crashes and graceful shutdown", .serialized)
struct CrashTests {
    @Test("killed between commit and publish: the relay publishes the committed event after restart")
    func killedBetweenCommitAndPublish() async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue()
        // Its relay must not rescue the row while the fast path pauses: only the restart may publish it.
        let first = try EchoProcess(harness, extraEnvironment: ["FAULT_PAUSE_AFTER_COMMIT_MS": "20000", "OUTBOX_RELAY_GRACE_MS": "600000"])
        try await first.waitUntilReady()
        try await harness.publish([try harness.request(owner: "crash-publish")])
        try await waitUntil("the commit") { try await harness.count("SELECT count(*) FROM echoes") == 1 }
        first.killHard()
        // Committed, not published: the event is in the outbox and nowhere else.
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 1)
        #expect(try await harness.depth(capture) == 0)

        let second = try EchoProcess(harness)
        try await second.waitUntilReady()
        try await waitUntil("the relay to publish") { try await harness.count("SELECT count(*) FROM outbox") == 0 }
        // The unacknowledged request came back too and was absorbed by the inbox.
        try await waitUntil("the redelivery to be seen as a duplicate") { await second.metric("fabrikam_events_duplicates_total") >= 1 }
        _ = try await second.terminate()
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 1)
        let emitted = try await harness.drain(capture, expecting: 1)
        #expect(emitted.count == 1)
        try await harness.cleanUp()
    }

    @Test("killed between publish and ack: the redelivered event has no second effect")
    func killedBetweenPublishAndAck() async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue()
        let first = try EchoProcess(harness, extraEnvironment: ["FAULT_PAUSE_BEFORE_ACK_MS": "20000"])
        try await first.waitUntilReady()
        try await harness.publish([try harness.request(owner: "crash-ack")])
        try await waitUntil("the publish") { try await harness.depth(capture) == 1 }
        // The confirmed row leaves the outbox before the pause; kill only once it has, or the kill
        // lands between publish and confirm, where a second copy from the relay is correct behaviour.
        try await waitUntil("the confirmed row to leave the outbox") { try await harness.count("SELECT count(*) FROM outbox") == 0 }
        first.killHard()

        let second = try EchoProcess(harness)
        try await second.waitUntilReady()
        try await waitUntil("the redelivery to be seen as a duplicate") { await second.metric("fabrikam_events_duplicates_total") >= 1 }
        #expect(await second.metric("fabrikam_events_handled_total") == 0)
        _ = try await second.terminate()
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 1)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 0)
        #expect(try await harness.drain(capture, expecting: 1).count == 1)
        try await harness.cleanUp()
    }

    @Test("FAULT_CRASH_PROBABILITY=1: the daemon dies right after its first commit; a restart publishes what it committed")
    func injectedCrash() async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue()
        let first = try EchoProcess(harness, extraEnvironment: ["FAULT_CRASH_PROBABILITY": "1", "OUTBOX_RELAY_GRACE_MS": "600000"])
        try await first.waitUntilReady()
        try await harness.publish([try harness.request(owner: "injected-crash")])
        try await waitUntil("the injected crash") { !first.process.isRunning }
        #expect(first.process.terminationStatus == 70)
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 1)
        #expect(try await harness.depth(capture) == 0)

        let second = try EchoProcess(harness)
        try await second.waitUntilReady()
        try await waitUntil("the relay to publish") { try await harness.count("SELECT count(*) FROM outbox") == 0 }
        _ = try await second.terminate()
        #expect(try await harness.count("SELECT count(*) FROM echoes") == 1)
        #expect(try await harness.drain(capture, expecting: 1).count == 1)
        try await harness.cleanUp()
    }

    @Test("published rows wait for the outbox sweeper, and a graceful stop deletes them before the relay's last pass: none is published twice")
    func sweeperDeletesBeforeTheLastRelayPass() async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue()
        // Neither the sweeper nor the relay acts during the run.
        let process = try EchoProcess(harness, extraEnvironment: ["OUTBOX_SWEEP_INTERVAL_MS": "600000", "OUTBOX_RELAY_GRACE_MS": "600000"])
        try await process.waitUntilReady()
        try await harness.publish(try (0..<50).map { _ in try harness.request(owner: "sweep") })
        let emitted = try await harness.drain(capture, expecting: 50)
        #expect(emitted.count == 50)
        // Published, so handed to the sweeper, which has not run yet: the rows are still there.
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 50)
        #expect(try await process.terminate() == 0)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 0)
        // The relay's last pass (every row, whatever its age) found them deleted: no second copy.
        #expect(try await harness.depth(capture) == 0)
        try await harness.cleanUp()
    }

    @Test("SIGTERM mid-stream: the daemon finishes what it holds, exits 0, and a restart completes the rest")
    func gracefulShutdownMidStream() async throws {
        let harness = try EchoHarness()
        let capture = try await harness.captureQueue()
        let first = try EchoProcess(harness)
        try await first.waitUntilReady()
        #expect(await first.get("/health/live")?.status == 200)
        try await harness.publish(try (0..<300).map { _ in try harness.request(owner: "graceful") })
        try await waitUntil("some progress") { try await harness.count("SELECT count(*) FROM echoes") >= 20 }
        #expect(try await first.terminate() == 0)
        #expect(try await harness.count("SELECT count(*) FROM outbox") == 0)

        let second = try EchoProcess(harness)
        try await second.waitUntilReady()
        try await waitUntil("all 300 echoes") { try await harness.count("SELECT count(*) FROM echoes") == 300 }
        // The backlog it found came in batches, several events to a transaction.
        #expect(await second.metric("fabrikam_shared_transactions_total") > 0)
        _ = try await second.terminate()
        let emitted = try await harness.drain(capture, expecting: 300)
        #expect(Set(emitted.compactMap { $0.properties.headers["causation-id"]?.stringValue }).count == 300)
        try await harness.cleanUp()
    }
}
