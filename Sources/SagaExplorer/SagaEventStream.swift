import Foundation
package import SagaInspect

/// The server-sent events of one saga page: an `update` event with the page's live part whenever
/// the report changes, then a `final` one when the verdict is final, after which the stream ends.
package enum SagaEventStream {
    /// What a change is: the verdict, the events and who handled them, unpublished rows, parked
    /// messages and pending timers (not the detail's wording, whose durations grow every poll).
    package static func fingerprint(_ report: SagaReport) -> [String] {
        var parts = ["verdict \(report.verdict.state) \(report.verdict.missing.joined(separator: "|"))"]
        if case .inFlight(let service, let event) = report.verdict { parts.append("waiting \(service) \(event)") }
        parts += report.events.map { "event \($0.eventId) \($0.logged) " + $0.handledBy.map(\.service).sorted().joined(separator: ",") }
        parts += report.pendingOutbox.map { "outbox \($0.eventId)" }
        parts += report.parked.map { "parked \($0.messageId ?? "-") \($0.reason)" }
        parts += report.pendingDeadlines.map { "timer \($0.service) \($0.name)" }
        return parts
    }

    /// One event in the `text/event-stream` format: each line of `data` on its own `data:` line.
    package static func event(_ name: String, data: String) -> String {
        "event: \(name)\n" + data.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)" }.joined(separator: "\n") + "\n\n"
    }
}
