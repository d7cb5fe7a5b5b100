import Foundation
import SagaSchedules
import IntegrationSupport
import Postgres
import SagaInspect
import SagaScenarios
import Testing

/// saga-inspect on sagas the real services produced: the right verdict for every path, and a
/// saga broken by hand (a compensation removed) reported as inconsistent, naming what is missing.
@Suite("End to end: saga-inspect on real sagas", .serialized)
struct SagaInspectEndToEndTests {
    /// Loads and analyses one delivery as `saga-inspect trace` does.
    func report(_ id: UUID, _ system: DeliverySystem, stuckAfter: TimeInterval = 300) async throws -> SagaReport? {
        let connection = try await PostgresConnection.connect(url: try system.inspectorURL)
        let parked = await SagaParkedMessageReader(amqpURL: system.amqpURL, queuePrefix: system.queuePrefix).read()
        let snapshot = try await SagaSnapshotLoader.load(
            deliveryId: id, database: connection, schemas: SagaSchemas(), parked: parked.messages, extraWarnings: parked.warnings)
        await connection.close()
        return snapshot.map { SagaAnalysis.analyse($0, now: Date(), stuckAfter: stuckAfter) }
    }

    /// Runs the `saga-inspect` executable; returns its exit status and output.
    func inspect(_ arguments: [String], _ system: DeliverySystem) throws -> (status: Int32, output: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("saga-inspect")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + ["--database-url", try system.inspectorURL, "--amqp-url", system.amqpURL, "--queue-prefix", system.queuePrefix]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("every path gets its verdict; a compensation removed by hand makes the saga inconsistent; exit codes")
    func verdictsOnRealSagas() async throws {
        let system = try await DeliverySystem()
        do {
            let expected: [SagaPath: String] = [
                .completed: "completed", .accountSuspended: "rejected", .packageRejected: "rejected",
                .noDroneInRange: "compensated", .noFlyZone: "compensated", .deadlineUnreachable: "compensated",
            ]
            var ids: [SagaPath: UUID] = [:]
            for path in expected.keys { ids[path] = try await system.submit(path) }
            _ = try await system.waitForEnd(Array(ids.values))
            try await SagaInvariants.check(system)
            for (path, id) in ids {
                let verdict = try await report(id, system)?.verdict
                #expect(verdict?.state == expected[path], "\(path): \(String(describing: verdict))")
            }

            // The read-only role really is read-only.
            let inspector = try await PostgresConnection.connect(url: try system.inspectorURL)
            let refused = await #expect(throws: PostgresError.self) {
                try await inspector.simpleQuery("DELETE FROM history.events")
            }
            #expect(refused?.sqlState == "42501")
            await inspector.close()

            // The CLI: healthy → 0, unknown → 1.
            let healthy = try inspect(["trace", ids[.noFlyZone]!.uuidString.lowercased()], system)
            #expect(healthy.status == 0, "\(healthy.output)")
            #expect(healthy.output.contains("package.cancelled"))
            let unknown = try inspect(["trace", UUID().uuidString.lowercased()], system)
            #expect(unknown.status == 1, "\(unknown.output)")
            let mermaid = try inspect(["trace", ids[.completed]!.uuidString.lowercased(), "--diagram", "mermaid"], system)
            #expect(mermaid.output.contains("sequenceDiagram"))

            // Break a compensated saga by hand: its package back to active, its package.cancelled gone.
            let broken = ids[.noFlyZone]!
            _ = try await system.query(
                "UPDATE package.packages SET state = 'active', cancel_reason = NULL WHERE delivery_id = $1", [.uuid(broken)])
            _ = try await system.query(
                "DELETE FROM history.events WHERE delivery_id = $1 AND event_type = 'package.cancelled'", [.uuid(broken)])
            let verdict = try await report(broken, system, stuckAfter: 0)?.verdict
            #expect(verdict?.state == "inconsistent", "\(String(describing: verdict))")
            #expect(verdict?.missing.contains { $0.contains("package") } == true, "\(String(describing: verdict?.missing))")
            let brokenTrace = try inspect(["trace", broken.uuidString.lowercased(), "--stuck-after", "0.001"], system)
            #expect(brokenTrace.status == 2, "\(brokenTrace.output)")
            let json = try inspect(["trace", broken.uuidString.lowercased(), "--json", "--stuck-after", "0.001"], system)
            let document = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            #expect((document?["verdict"] as? [String: Any])?["state"] as? String == "inconsistent")
        } catch {
            await system.shutDown()
            throw error
        }
        await system.shutDown()
    }
}
