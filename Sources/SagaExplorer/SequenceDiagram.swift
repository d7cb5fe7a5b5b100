import Foundation
package import SagaInspect

/// The causation tree as an inline SVG sequence diagram: one lane per service, one node per
/// event on its producer's lane in time order, an arrow to every service that handled it, a thin
/// line from each event to the event that caused it, compensations in red and dashed. A
/// `<title>` and a `<desc>` give the same as text.
package enum SequenceDiagram {
    /// Pixels between lanes.
    static let laneWidth = 150
    /// Pixels between events.
    static let rowHeight = 34
    /// Where the first lane is.
    static let left = 80
    /// Where the first event is.
    static let top = 56

    /// The events in drawing order: by time, then id (the same order every time).
    package static func ordered(_ report: SagaReport) -> [TracedEvent] {
        report.events.sorted { ($0.occurredAt, $0.eventId.uuidString) < ($1.occurredAt, $1.eventId.uuidString) }
    }

    /// The lanes: the six services, then any other producer or handler the report names.
    package static func lanes(_ report: SagaReport) -> [String] {
        var lanes = SagaContract.services
        for event in report.events {
            for service in [event.producer] + event.handledBy.map(\.service) where !lanes.contains(service) { lanes.append(service) }
        }
        return lanes
    }

    /// The `<svg>` element.
    package static func svg(_ report: SagaReport) -> String {
        let events = ordered(report)
        let lanes = lanes(report)
        let x = Dictionary(uniqueKeysWithValues: lanes.enumerated().map { ($1, left + $0 * laneWidth) })
        let width = left + lanes.count * laneWidth
        let height = top + max(1, events.count + report.pendingOutbox.count) * rowHeight + 20
        let row = Dictionary(events.enumerated().map { ($1.eventId, top + $0 * rowHeight) }, uniquingKeysWith: { first, _ in first })
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
            role="img" aria-labelledby="diagram-title diagram-desc" font-family="system-ui,sans-serif" font-size="11">
            <title id="diagram-title">\(HTML.escape("Sequence diagram of delivery \(report.deliveryId.uuidString.lowercased()): \(events.count) event(s) across \(lanes.count) services"))</title>
            <desc id="diagram-desc">\(HTML.escape(description(report, events)))</desc>
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>

            """
        for lane in lanes {
            let laneX = x[lane]!
            out += "<g class=\"lane\" data-service=\"\(HTML.escape(lane))\"><text x=\"\(laneX)\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">\(HTML.escape(lane))</text>"
            out += "<line x1=\"\(laneX)\" y1=\"28\" x2=\"\(laneX)\" y2=\"\(height - 8)\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/></g>\n"
        }
        for event in events {
            let y = row[event.eventId]!
            let eventX = x[event.producer]!
            let colour = event.isCompensation ? "#b22" : "#23395d"
            var node = "<g class=\"event\(event.isCompensation ? " compensation" : "")\" data-event-id=\"\(event.eventId.uuidString.lowercased())\" data-type=\"\(HTML.escape(event.type))\">"
            node += "<title>\(HTML.escape(SagaTextRenderer.line(for: event, start: report.startedAt)))</title>"
            if let cause = event.causationId, event.causeKnown, let causeY = row[cause], let causer = report.event(cause), let causeX = x[causer.producer] {
                node += "<path class=\"causation\" d=\"M\(causeX),\(causeY) C\(causeX - 30),\(causeY + 10) \(eventX - 30),\(y - 10) \(eventX),\(y)\" fill=\"none\" stroke=\"#9ab\" stroke-width=\"1\"/>"
            }
            for handling in event.handledBy where handling.service != event.producer {
                guard let handlerX = x[handling.service] else { continue }
                let towards = handlerX > eventX ? -6 : 6
                node += "<line x1=\"\(eventX)\" y1=\"\(y)\" x2=\"\(handlerX + towards)\" y2=\"\(y)\" stroke=\"\(colour)\" stroke-opacity=\"0.45\"\(event.isCompensation ? " stroke-dasharray=\"5 3\"" : "") marker-end=\"url(#arrow)\"/>"
                node += "<circle cx=\"\(handlerX)\" cy=\"\(y)\" r=\"3\" fill=\"\(colour)\" fill-opacity=\"0.5\"/>"
            }
            node += "<circle class=\"node\" cx=\"\(eventX)\" cy=\"\(y)\" r=\"7\" fill=\"\(event.logged ? colour : "#fff")\" stroke=\"\(colour)\" stroke-width=\"2\"\(event.isCompensation ? " stroke-dasharray=\"3 2\"" : "")/>"
            let label = event.type + (event.isCompensation ? " ↺ compensation" : "") + (event.reasonCode.map { " (\($0))" } ?? "")
            node += "<text x=\"\(eventX + 11)\" y=\"\(y - 9)\" fill=\"\(colour)\">\(HTML.escape(label))</text>"
            node += "<text x=\"6\" y=\"\(y + 4)\" fill=\"#555\">\(HTML.escape(offset(event.occurredAt, report.startedAt)))</text></g>\n"
            out += node
        }
        for (index, pending) in report.pendingOutbox.enumerated() {
            let y = top + (events.count + index) * rowHeight
            let pendingX = x[pending.service] ?? left
            out += "<g class=\"pending-outbox\"><title>\(HTML.escape("\(pending.eventType): committed in \(pending.service)'s outbox, not yet published"))</title>"
            out += "<circle cx=\"\(pendingX)\" cy=\"\(y)\" r=\"7\" fill=\"#fff\" stroke=\"#888\" stroke-dasharray=\"2 2\"/>"
            out += "<text x=\"\(pendingX + 11)\" y=\"\(y - 9)\" fill=\"#666\">\(HTML.escape(pending.eventType + " (not yet published)"))</text></g>\n"
        }
        return out + "</svg>"
    }

    /// The diagram in words, for the `<desc>`.
    static func description(_ report: SagaReport, _ events: [TracedEvent]) -> String {
        guard !events.isEmpty else { return "No events yet." }
        return events.enumerated().map { index, event in
            var text = "\(index + 1). \(event.type) by \(event.producer) at \(offset(event.occurredAt, report.startedAt))"
            if event.isCompensation { text += ", a compensation" }
            if let cause = event.causationId.flatMap(report.event) { text += ", caused by \(cause.type)" }
            text += event.handledBy.isEmpty ? ", not handled yet" : ", handled by " + event.handledBy.map(\.service).joined(separator: ", ")
            return text + "."
        }.joined(separator: " ")
    }

    /// `+0.012s` from the saga's start.
    static func offset(_ date: Date, _ start: Date?) -> String {
        SagaTimeText.offset(date.timeIntervalSince(start ?? date))
    }
}
