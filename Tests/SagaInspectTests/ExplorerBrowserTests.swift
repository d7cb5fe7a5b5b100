import Foundation
import IntegrationSupport
import PlainHTTPClient
import Postgres
import SagaInspect
import Testing

/// The repository's root (this file is Tests/SagaInspectTests/ExplorerBrowserTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where the browser test leaves its screenshots and logs (git-ignored).
private let artefacts = repositoryRoot.appendingPathComponent(".build/artefacts")

/// Headless Chromium through chromedriver against a running `saga-explorer` (the built
/// binary): list, filter, every saga page, and a saga turning final without a reload.
/// scripts/test.sh installs `chromium` and `chromium-driver` if missing and runs this suite in
/// its second phase, alone.
@Suite("Saga explorer in a real browser", .serialized)
struct ExplorerBrowserTests {
    @Test("list, filter by verdict, open each saga (one diagram node per event, the verdict), watch one turn final live; screenshots")
    func browse() async throws {
        try await ScratchDatabase.with { scratch, db in
            try await db.simpleQuery(MinimalSchemas.partial + MinimalSchemas.rest)
            var completed = SagaRows()
            try await completed.writeCompletedSaga(db)
            var compensated = SagaRows()
            try await compensated.writeCompensatedSaga(db)
            var broken = SagaRows()
            try await broken.writeInconsistentSaga(db)
            var live = SagaRows()
            try await live.writeUpToAllocation(db)

            let explorerPort = freePort()
            let driverPort = freePort()
            try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
            let explorer = try ChildProcess(
                repositoryRoot.appendingPathComponent(".build/debug/saga-explorer").path,
                ["--port", String(explorerPort), "--database-url", scratch.url, "--no-parked"],
                log: artefacts.appendingPathComponent("explorer-serve.log"))
            defer { explorer.stop() }
            let chromedriver = try ChildProcess(
                "/usr/bin/chromedriver", ["--port=\(driverPort)"], log: artefacts.appendingPathComponent("chromedriver.log"))
            defer { chromedriver.stop() }
            try await waitUntil("the explorer to answer on port \(explorerPort)", timeout: .seconds(120)) {
                (try? await PlainHTTPClient(port: explorerPort).get("/"))?.status == 200
            }
            try await waitUntil("chromedriver to be ready on port \(driverPort)", timeout: .seconds(120)) {
                (try? await PlainHTTPClient(port: driverPort).get("/status"))?.text.contains("\"ready\":true") == true
            }

            let browser = try await WebDriverSession.open(chromedriverPort: driverPort, chromium: "/usr/bin/chromium")
            do {
                try await drive(browser, base: "http://127.0.0.1:\(explorerPort)", db: db, completed: completed, compensated: compensated, broken: broken, live: &live)
            } catch {
                try? await browser.screenshot(to: artefacts.appendingPathComponent("explorer-failure.png"))
                await browser.close()
                throw error
            }
            await browser.close()
        }
    }

    private func drive(
        _ browser: WebDriverSession, base: String, db: PostgresConnection, completed: SagaRows, compensated: SagaRows, broken: SagaRows,
        live: inout SagaRows
    ) async throws {
        func id(_ saga: SagaRows) -> String { saga.deliveryId.uuidString.lowercased() }
        func rows() async throws -> [String] {
            (try await browser.run("return Array.from(document.querySelectorAll('#sagas tbody tr')).map(r => r.dataset.deliveryId)") as? [String]) ?? []
        }

        // The list: four sagas, counts at the top.
        try await browser.navigate(base + "/")
        try await browser.waitFor("four sagas in the list", "return document.querySelectorAll('#sagas tbody tr').length === 4")
        #expect(Set(try await rows()) == Set([completed, compensated, broken, live].map(id)))
        #expect(try await browser.run("return document.querySelector('[data-count=all]').textContent") as? String == "4")
        try await browser.screenshot(to: artefacts.appendingPathComponent("explorer-list.png"))

        // The page checked against every service: the broken saga shows as inconsistent.
        try await browser.click("#analyse-page")
        try await browser.waitFor("the analysed page", "return document.querySelectorAll('#sagas tbody tr[data-analysed=true]').length === 4")
        #expect(try await browser.run("return document.querySelector('tr[data-delivery-id=\"\(id(broken))\"]').dataset.verdict") as? String == "inconsistent")
        try await browser.navigate(base + "/")

        // Filter by verdict through the form: inconsistent is found by the analysis.
        _ = try await browser.run("document.getElementById('verdict-filter').value = 'inconsistent'")
        try await browser.click("#apply-filters")
        try await browser.waitFor("the inconsistent filter's result", "return location.search.includes('verdict=inconsistent') && document.querySelectorAll('#sagas tbody tr').length === 1")
        #expect(try await rows() == [id(broken)])
        _ = try await browser.run("document.getElementById('verdict-filter').value = 'completed'")
        try await browser.click("#apply-filters")
        try await browser.waitFor("the completed filter's result", "return location.search.includes('verdict=completed') && document.querySelectorAll('#sagas tbody tr').length === 1")
        #expect(try await rows() == [id(completed)])

        // Each saga: one diagram node per event, the verdict.
        let expected: [(SagaRows, Int, String, String)] = [
            (completed, 9, "completed", "COMPLETED"), (compensated, 7, "compensated", "COMPENSATED"), (broken, 7, "inconsistent", "INCONSISTENT"),
            (live, 4, "inFlight", "IN FLIGHT (waiting on delivery for delivery.scheduled)"),
        ]
        for (saga, events, state, headline) in expected {
            try await browser.navigate(base + "/sagas/" + id(saga))
            try await browser.waitFor("the page of \(state) saga \(id(saga))", "return !!document.getElementById('verdict')")
            #expect(try await browser.run("return document.querySelectorAll('svg.sequence g.event').length") as? Int == events)
            #expect(try await browser.run("return document.querySelectorAll('#timeline-heading ~ table tbody tr').length") as? Int == events)
            #expect(try await browser.run("return document.getElementById('verdict').dataset.state") as? String == state)
            #expect((try await browser.run("return document.getElementById('verdict').textContent") as? String)?.hasPrefix(headline) == true)
            #expect(try await browser.run("return document.querySelector('svg.sequence title').textContent.includes('\(events) event(s)')") as? Bool == true)
            try await browser.screenshot(to: artefacts.appendingPathComponent("explorer-saga-\(state).png"))
        }
        #expect(try await browser.run("return document.querySelectorAll('svg.sequence g.event.compensation').length") as? Int == 0)

        // The in-flight saga turns final on the open page, without a reload.
        _ = try await browser.run("window.explorerNotReloaded = true")
        try await live.writeRestOfHappyPath(db)
        try await browser.waitFor("the live saga's verdict to turn completed", timeout: .seconds(120),
                                  "return document.getElementById('verdict').dataset.state === 'completed'")
        #expect(try await browser.run("return window.explorerNotReloaded === true") as? Bool == true)
        #expect(try await browser.run("return document.querySelectorAll('svg.sequence g.event').length") as? Int == 9)
        #expect(try await browser.run("return document.getElementById('live-status').textContent") as? String == "Final verdict.")
        try await browser.screenshot(to: artefacts.appendingPathComponent("explorer-saga-live-completed.png"))
    }
}
