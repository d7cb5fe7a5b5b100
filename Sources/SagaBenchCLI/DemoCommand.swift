import ArgumentParser
import Foundation
import SagaScenarios

/// `saga-bench demo`: one delivery per saga path through the HTTP API, until each has ended.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Submit one delivery per saga path (completed, each rejection, each compensation, a cancellation) and wait for their ends.",
        discussion: """
            Progress and the summary table go to standard error; standard output gets one line per
            delivery, `<path> <delivery-id>`, for `saga-inspect trace` (scripts/run.sh demo does that).
            Exits 1 if a saga has not ended within --timeout.
            """)

    @Option(help: "Ingestion service port.")
    var ingestionPort = 8080

    @Option(help: "History service port.")
    var historyPort = 8086

    @Option(help: "Seconds to wait for every saga to end.")
    var timeout = 180

    @OptionGroup var key: APIKeyOption

    func run() async throws {
        let client = try key.client(ingestionPort: ingestionPort, historyPort: historyPort)
        var submitted: [(SagaPath, UUID)] = []
        for path in SagaPath.allCases {
            let id = try await client.submit(path.requestBody(tag: "demo"))
            if path == .cancelled { _ = try await client.cancel(id) }
            log("submitted \(path.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \(id.uuidString.lowercased())")
            submitted.append((path, id))
        }
        var ended: [UUID: DeliveryAPIClient.Status] = [:]
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ended.count < submitted.count, ContinuousClock.now < deadline {
            for (_, id) in submitted where ended[id] == nil {
                if let status = try await client.status(id), status.isTerminal { ended[id] = status }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        log("")
        log("path                    delivery id                           stage        reason")
        for (path, id) in submitted {
            let status = ended[id]
            let stage = status?.stage ?? "NOT ENDED"
            let mark = status.map { path.expectedStages.contains($0.stage) ? "" : "  (unexpected)" } ?? ""
            log(path.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0) + id.uuidString.lowercased() + "  "
                + stage.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + (status?.reason?.code ?? "") + mark)
            print("\(path.rawValue) \(id.uuidString.lowercased())")
        }
        if ended.count < submitted.count { throw ExitCode(1) }
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
