import Contracts
import Foundation
import SagaInspect
import Testing

@Suite("Renderers")
struct SagaRendererTests {
    /// A rejected saga with both compensations, a pending outbox row, a parked message and a warning.
    static func rejectedReport() -> (SagaFixture, SagaReport) {
        var saga = SagaFixture()
        saga.upToAllocation(accountValidated: false)
        saga.log("account.rejected", at: 0.05, causedBy: "delivery.requested", data: SagaFixture.reason("ACCOUNT_SUSPENDED"))
        saga.log("package.cancelled", at: 0.06, causedBy: "account.rejected", data: SagaFixture.reason("ACCOUNT_REJECTED"))
        saga.log("drone.released", at: 0.07, causedBy: "account.rejected", data: SagaFixture.reason("ACCOUNT_REJECTED", extra: ["droneId": "drone-007"]))
        saga.snapshot.state.package = PackageState(packageId: saga.packageId, state: "cancelled", cancelReason: "ACCOUNT_REJECTED")
        saga.droneReleasedInState("ACCOUNT_REJECTED")
        saga.snapshot.warnings = ["schema drone has no table deadlines (not migrated?)"]
        return (saga, SagaAnalysis.analyse(saga.snapshot, now: saga.at(3_600)))
    }

    @Test("JSON has the documented shape, RFC 3339 dates and lowercase ids")
    func jsonShape() throws {
        let (saga, report) = Self.rejectedReport()
        let json = SagaJSONRenderer.value(report)
        let top = try #require(json.objectValue)
        for key in ["deliveryId", "verdict", "events", "pendingOutbox", "parked", "warnings", "pendingDeadlines", "startedAt", "inspectedAt"] {
            #expect(top[key] != nil, "missing key \(key)")
        }
        #expect(json["deliveryId"]?.stringValue == saga.deliveryId.uuidString.lowercased())
        let verdict = try #require(json["verdict"]?.objectValue)
        #expect(Set(verdict.keys).isSuperset(of: ["state", "detail", "missing"]))
        #expect(verdict["state"]?.stringValue == "rejected")
        #expect(verdict["missing"]?.arrayValue == [])

        let events = try #require(json["events"]?.arrayValue)
        #expect(events.count == 6)
        for event in events {
            let keys = Set(try #require(event.objectValue).keys)
            #expect(keys.isSuperset(of: ["eventId", "type", "producer", "occurredAt", "causationId", "compensation", "handledBy"]))
            #expect(RFC3339.date(from: event["occurredAt"]?.stringValue ?? "") != nil)
            for handling in event["handledBy"]?.arrayValue ?? [] {
                #expect(handling["service"]?.stringValue != nil)
                #expect(RFC3339.date(from: handling["at"]?.stringValue ?? "") != nil)
            }
        }
        let cancelled = try #require(events.first { $0["type"]?.stringValue == "package.cancelled" })
        #expect(cancelled["compensation"]?.boolValue == true)
        #expect(cancelled["causationId"]?.stringValue == saga.id("account.rejected").uuidString.lowercased())
        #expect(cancelled["handledBy"]?.arrayValue?.first?["service"]?.stringValue == "history")
        #expect(events.first?["causationId"] == .null)
        #expect(json["warnings"]?.arrayValue == ["schema drone has no table deadlines (not migrated?)"])

        // The text form parses back to the same value.
        let text = SagaJSONRenderer.render(report)
        #expect(try JSONValue(parsing: text) == json)
    }

    @Test("JSON of an inconsistent saga lists what is missing; in flight names the wait")
    func jsonVerdicts() {
        var saga = SagaFixture()
        saga.upToAllocation()
        let inFlight = SagaJSONRenderer.value(SagaAnalysis.analyse(saga.snapshot, now: saga.at(1)))
        #expect(inFlight["verdict"]?["state"]?.stringValue == "inFlight")
        #expect(inFlight["verdict"]?["waitingOn"]?.stringValue == "delivery")
        #expect(inFlight["verdict"]?["for"]?.stringValue == "delivery.scheduled")

        saga.log("delivery.scheduling-failed", at: 0.04, causedBy: "drone.allocated", data: SagaFixture.reason("NO_FLY_ZONE"))
        let inconsistent = SagaJSONRenderer.value(SagaAnalysis.analyse(saga.snapshot, now: saga.at(1_000)))
        #expect(inconsistent["verdict"]?["state"]?.stringValue == "inconsistent")
        #expect(inconsistent["verdict"]?["missing"]?.arrayValue?.count == 2)
    }

    @Test("Mermaid: a sequenceDiagram with one participant per service, compensations as -x arrows")
    func mermaid() {
        let (_, report) = Self.rejectedReport()
        let diagram = SagaMermaidRenderer.render(report)
        let lines = diagram.split(separator: "\n").map(String.init)
        #expect(lines.first == "sequenceDiagram")
        let participants = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("participant ") }
        #expect(participants.map { $0.trimmingCharacters(in: .whitespaces) } == SagaContract.services.map { "participant \($0)" })
        #expect(lines.contains("    ingestion->>account: delivery.requested"))
        #expect(lines.contains("    package->>drone: package.created"))
        #expect(lines.contains("    package-xhistory: package.cancelled ACCOUNT_REJECTED"))
        #expect(lines.contains("    drone-xhistory: drone.released ACCOUNT_REJECTED"))
        #expect(lines.contains { $0.contains("Note over package: compensation package.cancelled") })
        #expect(lines.last == "    Note over ingestion,history: verdict rejected")
        let ascii = diagram.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(ascii)
    }

    @Test("text: the tree with relative times, handlers, compensations, warnings and the verdict")
    func text() {
        let (saga, report) = Self.rejectedReport()
        let text = SagaTextRenderer.render(report)
        #expect(text.contains("  +0.000s  delivery.requested  by ingestion → handled by account (+0.010s), package (+0.011s), delivery (+0.012s), history (+0.013s)\n"))
        #expect(text.contains("├─ +0.012s  package.created  by package (package \(saga.packageId.uuidString.lowercased())) → handled by drone (+0.022s), history (+0.023s)"))
        #expect(text.contains("+0.060s  package.cancelled [compensation]  by package (ACCOUNT_REJECTED) → handled by history (+0.070s)"))
        #expect(text.contains("warnings:\n  - schema drone has no table deadlines (not migrated?)"))
        #expect(text.contains("verdict: REJECTED\n"))
        #expect(text.hasSuffix("\n"))
    }

    @Test("text shows pending outbox rows and parked messages")
    func textSections() {
        var saga = SagaFixture()
        saga.upToAllocation()
        saga.snapshot.pendingOutbox = [PendingOutboxEvent(service: "delivery", eventType: "delivery.scheduled", committedAt: saga.at(0.05))]
        saga.snapshot.parked = [SagaParkedMessage(
            service: "drone", messageId: UUID().uuidString.lowercased(), eventType: "delivery.scheduled",
            deliveryId: saga.deliveryId.uuidString, reason: "schema-violation", lastError: "data.droneId is missing", attempts: 1)]
        let text = SagaTextRenderer.render(SagaAnalysis.analyse(saga.snapshot, now: saga.at(1)))
        #expect(text.contains("pending outbox (committed, not yet published):\n  +0.050s  delivery.scheduled  in delivery's outbox"))
        #expect(text.contains("parked messages:\n  drone.parked  delivery.scheduled"))
        #expect(text.contains("schema-violation after 1 attempt(s)"))
        #expect(text.contains("verdict: STUCK"))
    }

    @Test("listing and statistics render as text and JSON")
    func listingRenderers() throws {
        let saga = SagaFixture.completed()
        let entry = SagaListing.Entry(
            deliveryId: saga.deliveryId, stage: "Completed", sagaState: "completed", ownerId: "acct-active-001", droneId: "drone-007",
            reasonCode: nil, lastEventType: "drone.released", createdAt: saga.at(0), updatedAt: saga.at(0.08), verdict: .completed,
            detail: "delivery.completed")
        let text = SagaListingRenderer.text([entry], now: saga.at(60))
        #expect(text.contains(saga.deliveryId.uuidString.lowercased()))
        #expect(text.contains("completed"))
        #expect(text.hasSuffix("1 delivery\n"))
        let json = SagaListingRenderer.json([entry])
        #expect(json[0]?["verdict"]?["state"]?.stringValue == "completed")
        #expect(json[0]?["reasonCode"] == JSONValue.null)

        var stats = SagaStats()
        stats.total = 3
        stats.bySagaState = ["completed": 2, "rejected": 1]
        stats.byReasonCode = ["ACCOUNT_SUSPENDED": 1]
        stats.endedSagas = 3
        stats.p50Seconds = 0.5
        stats.p99Seconds = 1.25
        stats.maxSeconds = 1.3
        let statsText = SagaListingRenderer.text(stats)
        #expect(statsText.contains("p50 0.500s, p99 1.250s"))
        #expect(statsText.contains("ACCOUNT_SUSPENDED"))
        #expect(SagaListingRenderer.json(stats)["duration"]?["p99Seconds"]?.numberValue == 1.25)
    }
}
