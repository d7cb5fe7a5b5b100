import Foundation
import SagaExplorer
import SagaInspect
import Testing

@Suite("Saga explorer pages, without servers")
struct ExplorerPageTests {
    @Test("HTML escaping covers the five special characters; query strings are percent-encoded")
    func escaping() {
        #expect(HTML.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(HTML.query([("owner", "a b&c"), ("q", "3f2a")]) == "?owner=a%20b%26c&q=3f2a")
        #expect(HTML.query([]) == "")
    }

    @Test("form fields: + is a space, escapes are decoded, the first of repeated names wins")
    func formFields() {
        #expect(FormFields.parse("service=package&id=a%2Fb&note=two+words&id=second&empty") == [
            "service": "package", "id": "a/b", "note": "two words", "empty": "",
        ])
    }

    @Test("the list filter reads every field, refuses what the form does not offer, and writes itself back")
    func listFilter() throws {
        let now = Date(timeIntervalSince1970: 1_780_000_000)
        let filter = try SagaListFilter.parse(
            ["verdict": "compensated", "stage": "Compensated", "owner": "acct-1", "since": "1h", "q": "3F2A", "limit": "20",
             "after": "1780000000000000_3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"], now: now)
        #expect(filter.verdict == .compensated && filter.stage == "Compensated" && filter.owner == "acct-1")
        #expect(filter.since == now.addingTimeInterval(-3_600) && filter.search == "3f2a" && filter.limit == 20)
        #expect(filter.after == SagaListCursor(micros: 1_780_000_000_000_000, deliveryId: UUID(uuidString: "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")!))
        #expect(filter.queryItems().map { "\($0)=\($1)" } == ["verdict=compensated", "stage=Compensated", "owner=acct-1", "since=1h", "q=3f2a", "limit=20"])
        #expect(filter.queryItems(verdict: .some(nil)).first?.0 == "stage")
        #expect(try SagaListFilter.parse(["verdict": "", "q": " "]) == SagaListFilter())
        for bad in [["verdict": "done"], ["stage": "Flying"], ["since": "soon"], ["q": "xyz"], ["limit": "501"], ["after": "1_2"]] {
            #expect(throws: ExplorerInputError.self) { try SagaListFilter.parse(bad) }
        }
        #expect(try SagaListFilter.parse(["verdict": "inconsistent"]).needsAnalysis)
        #expect(try !SagaListFilter.parse(["verdict": "inflight"]).needsAnalysis)
        let analysed = try SagaListFilter.parse(["analyse": "1"])
        #expect(analysed.analysePage && analysed.queryItems().map(\.0) == ["analyse"] && analysed.queryItems(analyse: false).isEmpty)
    }

    @Test("history's record maps to a verdict class and back")
    func recordedVerdicts() {
        #expect(SagaStatusFilter.recorded(stage: "Completed", sagaState: "completed") == .completed)
        #expect(SagaStatusFilter.recorded(stage: "Cancelled", sagaState: "compensated") == .cancelled)
        #expect(SagaStatusFilter.recorded(stage: "Rejected", sagaState: "rejected") == .rejected)
        #expect(SagaStatusFilter.recorded(stage: "Compensated", sagaState: "compensated") == .compensated)
        #expect(SagaStatusFilter.recorded(stage: "HeadedToPickup", sagaState: "inFlight") == .inflight)
        #expect(SagaStatusFilter.recorded(stage: "Created", sagaState: "stuck") == .stuck)
        for verdict in SagaStatusFilter.allCases where verdict != .inconsistent {
            for stage in verdict.recordedStages ?? [] {
                for state in verdict.recordedSagaStates ?? ["inFlight", "completed", "compensated", "rejected"] where stage != "Completed" || state == "completed" {
                    #expect(SagaStatusFilter.recorded(stage: stage, sagaState: state) == verdict)
                }
            }
        }
    }

    @Test("the diagram has one node per event on its producer's lane, compensations marked, and a text alternative")
    func diagram() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.log("delivery.scheduling-failed", at: 0.04, causedBy: "drone.allocated", data: SagaFixture.reason("NO_FLY_ZONE <x>"))
        saga.log("package.cancelled", at: 0.05, causedBy: "delivery.scheduling-failed", data: SagaFixture.reason("SCHEDULING_FAILED"))
        let report = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        let svg = SequenceDiagram.svg(report)
        #expect(svg.components(separatedBy: "<g class=\"event").count - 1 == 6)
        #expect(svg.components(separatedBy: "<g class=\"event compensation\"").count - 1 == 1)
        #expect(svg.components(separatedBy: "<g class=\"lane\"").count - 1 == 6)
        #expect(svg.contains("role=\"img\" aria-labelledby=\"diagram-title diagram-desc\""))
        #expect(svg.contains("6 event(s) across 6 services</title>"))
        #expect(svg.contains("<desc id=\"diagram-desc\">1. delivery.requested by ingestion at +0.000s, handled by "))
        #expect(svg.contains("6. package.cancelled by package at +0.050s, a compensation, caused by delivery.scheduling-failed"))
        #expect(svg.contains("(NO_FLY_ZONE &lt;x&gt;)") && !svg.contains("<x>"))
        #expect(SequenceDiagram.ordered(report).map(\.type).first == "delivery.requested")
    }

    @Test("the stream's fingerprint changes with events and the verdict, not with time; events are framed line by line")
    func stream() {
        var saga = SagaFixture()
        saga.upToAllocation()
        let early = SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))
        let later = SagaAnalysis.analyse(saga.snapshot, now: saga.at(20))
        #expect(SagaEventStream.fingerprint(early) == SagaEventStream.fingerprint(later))
        saga.log("delivery.scheduled", at: 0.04, causedBy: "drone.allocated")
        #expect(SagaEventStream.fingerprint(SagaAnalysis.analyse(saga.snapshot, now: saga.at(1))) != SagaEventStream.fingerprint(early))
        #expect(SagaEventStream.event("update", data: "<p>a</p>\n<p>b</p>") == "event: update\ndata: <p>a</p>\ndata: <p>b</p>\n\n")
    }

    @Test("a final saga's page has no script; an in-flight one follows its stream")
    func pageScripts() {
        let completed = SagaFixture.completed()
        let finalPage = SagaPage.render(SagaAnalysis.analyse(completed.snapshot, now: completed.at(3_600)), snapshot: completed.snapshot)
        #expect(!finalPage.contains("<script>") && finalPage.contains("data-state=\"completed\" data-final=\"true\""))
        var inFlight = SagaFixture()
        inFlight.upToAllocation()
        let livePage = SagaPage.render(SagaAnalysis.analyse(inFlight.snapshot, now: inFlight.at(1)), snapshot: inFlight.snapshot)
        #expect(livePage.contains("<script>") && livePage.contains("/events-stream"))
        #expect(livePage.contains("<td>delivery</td><td><code>delivery.scheduled</code></td>"))
    }
}
