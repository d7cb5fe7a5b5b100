import Contracts
import Foundation
package import SagaInspect

/// The page of one saga: the verdict with what is missing and what it waits on, the sequence
/// diagram, the timeline, and each service's evidence. Everything but the heading sits in
/// `<div id="live">`, which the event stream replaces while the saga is in flight.
package enum SagaPage {
    /// The whole page; for a verdict that is not final, with the script that follows the event stream.
    package static func render(_ report: SagaReport, snapshot: SagaSnapshot) -> String {
        let id = report.deliveryId.uuidString.lowercased()
        let body = """
            <h1>Delivery <code class="id">\(id)</code></h1>
            <p class="note" id="live-status">\(report.verdict.isFinal ? "Final verdict." : "In progress: this page updates itself.")</p>
            <div id="live" aria-live="polite">
            \(live(report, snapshot: snapshot))
            </div>
            """
        return HTML.document(title: "Delivery \(id.prefix(8))", current: "", body: body, script: report.verdict.isFinal ? nil : followScript)
    }

    /// What the event stream pushes: the inside of `<div id="live">`.
    package static func live(_ report: SagaReport, snapshot: SagaSnapshot) -> String {
        [verdict(report), diagram(report), timeline(report), evidence(report, snapshot: snapshot), warnings(report)].joined(separator: "\n")
    }

    /// Follows `/sagas/{id}/events-stream`: each `update` replaces the live part; `final` does so
    /// once more and closes the stream.
    static let followScript = """
        (function(){if(!window.EventSource)return;var live=document.getElementById('live'),status=document.getElementById('live-status');
        var source=new EventSource(location.pathname.replace(/\\/$/,'')+'/events-stream');
        source.addEventListener('update',function(e){live.innerHTML=e.data;});
        source.addEventListener('final',function(e){live.innerHTML=e.data;status.textContent='Final verdict.';source.close();});
        })();
        """

    /// The verdict, what is missing, and what the saga waits on since when.
    static func verdict(_ report: SagaReport) -> String {
        var out = """
            <section aria-labelledby="verdict-heading"><h2 id="verdict-heading">Verdict</h2>
            <p><strong class="verdict verdict-\(report.verdict.state)" id="verdict" data-state="\(report.verdict.state)" data-final="\(report.verdict.isFinal)">\(HTML.escape(SagaTextRenderer.headline(report.verdict)))</strong></p>
            <p id="verdict-detail">\(HTML.escape(report.detail))</p>
            """
        if !report.verdict.missing.isEmpty {
            out += "<h3>Missing or contradicting</h3><ul class=\"missing\">" + report.verdict.missing.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        }
        if !report.waits.isEmpty {
            out += "<h3>Waiting on</h3><table class=\"waits\"><thead><tr><th>Service</th><th>For</th><th>Since</th><th>Due</th><th>What</th></tr></thead><tbody>"
            for wait in report.waits {
                out += "<tr><td>\(HTML.escape(wait.service))</td><td><code>\(HTML.escape(wait.event))</code></td><td>\(time(wait.since, report))</td>"
                out += "<td>\(time(wait.dueAt, report))</td><td>\(HTML.escape(wait.description))</td></tr>"
            }
            out += "</tbody></table>"
        }
        return out + "</section>"
    }

    /// The sequence diagram in a figure with its legend.
    static func diagram(_ report: SagaReport) -> String {
        """
        <section aria-labelledby="diagram-heading"><h2 id="diagram-heading">Sequence diagram</h2>
        <figure>\(SequenceDiagram.svg(report))
        <figcaption class="note">One lane per service; a filled dot per logged event on its producer's lane, arrows to the services that handled it, \
        curves to the event that caused it; <span class="compensation">red dashed: compensation</span>; hollow: not in the history log.</figcaption></figure></section>
        """
    }

    /// Every event in time order with its offset, producer, handlers and reason.
    static func timeline(_ report: SagaReport) -> String {
        let events = SequenceDiagram.ordered(report)
        guard !events.isEmpty else { return "<section aria-labelledby=\"timeline-heading\"><h2 id=\"timeline-heading\">Timeline</h2><p>No events yet.</p></section>" }
        var out = "<section aria-labelledby=\"timeline-heading\"><h2 id=\"timeline-heading\">Timeline</h2>"
        if let start = report.startedAt { out += "<p class=\"note\">Times relative to the first event, \(HTML.escape(RFC3339.string(from: start))).</p>" }
        out += "<table class=\"timeline\"><thead><tr><th>At</th><th>Event</th><th>By</th><th>Handled by</th><th>Reason</th></tr></thead><tbody>"
        for event in events {
            let handled = event.handledBy.isEmpty ? "not handled yet"
                : event.handledBy.map { "\($0.service) (\(SequenceDiagram.offset($0.at, report.startedAt)))" }.joined(separator: ", ")
            out += "<tr class=\"\(event.isCompensation ? "compensation" : "")\" data-event-id=\"\(event.eventId.uuidString.lowercased())\">"
            out += "<td><code>\(HTML.escape(SequenceDiagram.offset(event.occurredAt, report.startedAt)))</code></td>"
            out += "<td><code>\(HTML.escape(event.type))</code>\(event.isCompensation ? " <em>compensation</em>" : "")\(event.logged ? "" : " <em>not in the history log</em>")"
            out += "\(event.note.map { " <span class=\"note\">\(HTML.escape($0))</span>" } ?? "")</td>"
            out += "<td>\(HTML.escape(event.producer))</td><td>\(HTML.escape(handled))</td>"
            out += "<td>\(HTML.escape([event.reasonCode, event.reasonMessage].compactMap { $0 }.joined(separator: ": ")))</td></tr>"
        }
        return out + "</tbody></table></section>"
    }

    /// Each owning service's rows: inbox, unpublished outbox, timers, parked messages, own state.
    static func evidence(_ report: SagaReport, snapshot: SagaSnapshot) -> String {
        var out = "<section aria-labelledby=\"evidence-heading\"><h2 id=\"evidence-heading\">Evidence per service</h2>"
        let states = stateLines(snapshot.state)
        for service in SequenceDiagram.lanes(report) {
            let inbox = snapshot.handled.filter { $0.service == service }.sorted { $0.handledAt < $1.handledAt }
            let outbox = report.pendingOutbox.filter { $0.service == service }
            let deadlines = snapshot.deadlines.filter { $0.service == service }
            let parked = report.parked.filter { $0.service == service }
            let own = states[service] ?? []
            guard !(inbox.isEmpty && outbox.isEmpty && deadlines.isEmpty && parked.isEmpty && own.isEmpty) else { continue }
            out += "<section class=\"service\" data-service=\"\(HTML.escape(service))\"><h3>\(HTML.escape(service))</h3>"
            if !own.isEmpty { out += "<p>State: " + own.map { HTML.escape($0) }.joined(separator: "; ") + "</p>" }
            if !inbox.isEmpty {
                out += "<details><summary>Inbox: \(inbox.count) event(s) handled</summary><ul>"
                out += inbox.map { "<li><code>\(HTML.escape(SequenceDiagram.offset($0.handledAt, report.startedAt)))</code> \(HTML.escape($0.eventType)) <span class=\"id\">\(short($0.eventId))</span></li>" }.joined()
                out += "</ul></details>"
            }
            if !outbox.isEmpty {
                out += "<p>Outbox, committed but not yet published:</p><ul>"
                out += outbox.map { "<li>\(HTML.escape($0.eventType)) committed \(time($0.committedAt, report))</li>" }.joined() + "</ul>"
            }
            if !deadlines.isEmpty {
                out += "<p>Timers:</p><ul>"
                for deadline in deadlines {
                    let state = deadline.firedAt.map { "fired \(time($0, report))" } ?? deadline.cancelledAt.map { "cancelled \(time($0, report))" }
                        ?? deadline.parkedAt.map { "parked \(time($0, report))" } ?? "pending"
                    out += "<li>\(HTML.escape(deadline.name)): due \(time(deadline.fireAt, report)), \(state)\(deadline.lastError.map { " — \(HTML.escape($0))" } ?? "")</li>"
                }
                out += "</ul>"
            }
            if !parked.isEmpty {
                out += "<p>Parked messages:</p><ul class=\"parked\">"
                for message in parked {
                    out += "<li>\(HTML.escape(message.eventType ?? "(no type)")) <span class=\"id\">\(HTML.escape(message.messageId ?? "(no id)"))</span>: "
                    out += "<strong>\(HTML.escape(message.reason))</strong> after \(message.attempts) attempt(s)\(message.parkedAt.map { ", parked \(HTML.escape($0))" } ?? "")"
                    if let error = message.lastError { out += "<pre>\(HTML.escape(error))</pre>" }
                    out += " <a href=\"/parked\">replay…</a></li>"
                }
                out += "</ul>"
            }
            out += "</section>"
        }
        return out + "</section>"
    }

    /// What could not be read, if anything.
    static func warnings(_ report: SagaReport) -> String {
        guard !report.warnings.isEmpty else { return "" }
        return "<section aria-labelledby=\"warnings-heading\"><h2 id=\"warnings-heading\">Warnings</h2><ul>"
            + report.warnings.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul></section>"
    }

    /// The services' own rows in words, by service.
    static func stateLines(_ state: ServiceStates) -> [String: [String]] {
        var lines: [String: [String]] = [:]
        if let request = state.request {
            lines["ingestion", default: []].append("request by \(request.ownerId)" + (request.cancellationRequestedAt == nil ? "" : ", cancellation requested"))
        }
        if let decision = state.accountDecision {
            lines["account", default: []].append("decision \(decision.outcome)" + (decision.reasonCode.map { " (\($0))" } ?? ""))
        }
        if let package = state.package { lines["package", default: []].append("package \(package.state)" + (package.cancelReason.map { " (\($0))" } ?? "")) }
        if let outcome = state.packageOutcome { lines["package", default: []].append("outcome \(outcome.state)" + (outcome.reasonCode.map { " (\($0))" } ?? "")) }
        if let allocation = state.allocation {
            lines["drone", default: []].append("allocation \(allocation.state)" + (allocation.droneId.map { " of \($0)" } ?? "")
                + ((allocation.releaseReason ?? allocation.failureCode).map { " (\($0))" } ?? ""))
        }
        for held in state.heldDrones { lines["drone", default: []].append("\(held.droneId) \(held.state) for this delivery") }
        if let delivery = state.delivery {
            lines["delivery", default: []].append("delivery \(delivery.state), account \(delivery.accountState)" + (delivery.failureCode.map { " (\($0))" } ?? ""))
        }
        if let status = state.status {
            lines["history", default: []].append("status \(status.stage) / \(status.sagaState), last \(status.lastEventType)" + (status.reasonCode.map { " (\($0))" } ?? ""))
        }
        return lines
    }

    /// A time relative to the saga's start and to the inspection: `+1.204s (3.1s ago)`.
    static func time(_ date: Date?, _ report: SagaReport) -> String {
        guard let date else { return "—" }
        let delta = report.inspectedAt.timeIntervalSince(date)
        let relative = delta >= 0 ? "\(SagaTimeText.duration(delta)) ago" : "in \(SagaTimeText.duration(-delta))"
        return "<time datetime=\"\(HTML.escape(RFC3339.string(from: date)))\">\(HTML.escape(SequenceDiagram.offset(date, report.startedAt))) (\(HTML.escape(relative)))</time>"
    }

    /// The first eight characters of an id.
    static func short(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }
}
