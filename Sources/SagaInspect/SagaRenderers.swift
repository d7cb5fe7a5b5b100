package import Contracts
package import Foundation

/// The report as a readable tree: times relative to the first event, who handled each event,
/// compensations marked, then the outbox, parked messages, timers, warnings and the verdict.
package enum SagaTextRenderer {
    /// The whole report as text (ends with a newline).
    package static func render(_ report: SagaReport) -> String {
        var lines: [String] = []
        lines.append("delivery \(report.deliveryId.uuidString.lowercased())")
        if let start = report.startedAt {
            lines.append("started \(RFC3339.string(from: start)) (times below are relative to it), inspected \(RFC3339.string(from: report.inspectedAt))")
        }
        lines.append("")
        if report.events.isEmpty {
            lines.append("no events logged or handled yet")
        } else {
            lines.append("events:")
            let byId = Dictionary(report.events.map { ($0.eventId, $0) }, uniquingKeysWith: { first, _ in first })
            func draw(_ event: TracedEvent, prefix: String, connector: String) {
                lines.append("  " + prefix + connector + line(for: event, start: report.startedAt))
                let childPrefix = prefix + (connector == "├─ " ? "│  " : connector.isEmpty ? "" : "   ")
                let children = event.children.compactMap { byId[$0] }
                for (index, child) in children.enumerated() {
                    draw(child, prefix: childPrefix, connector: index == children.count - 1 ? "└─ " : "├─ ")
                }
            }
            for root in report.events where root.depth == 0 { draw(root, prefix: "", connector: "") }
        }
        if !report.pendingOutbox.isEmpty {
            lines.append("")
            lines.append("pending outbox (committed, not yet published):")
            for row in report.pendingOutbox {
                lines.append("  \(offset(row.committedAt, report.startedAt))  \(row.eventType)  in \(row.service)'s outbox  event \(short(row.eventId))"
                    + (row.causationId.map { ", caused by \(short($0))" } ?? ""))
            }
        }
        if !report.parked.isEmpty {
            lines.append("")
            lines.append("parked messages:")
            for message in report.parked {
                var text = "  \(message.queue)  \(message.eventType ?? "(no type)")  event \(message.messageId.map(short) ?? "(no id)")"
                text += "  \(message.reason) after \(message.attempts) attempt(s)"
                if let at = message.parkedAt { text += ", parked \(at)" }
                lines.append(text)
                if let error = message.lastError {
                    lines.append(contentsOf: error.split(separator: "\n").prefix(5).map { "      " + $0 })
                }
            }
        }
        if !report.pendingDeadlines.isEmpty {
            lines.append("")
            lines.append("pending timers:")
            for deadline in report.pendingDeadlines {
                let delta = deadline.fireAt.timeIntervalSince(report.inspectedAt)
                let when = delta >= 0 ? "in \(SagaTimeText.duration(delta))" : "\(SagaTimeText.duration(-delta)) overdue"
                lines.append("  \(deadline.service)  \(deadline.name)  due \(offset(deadline.fireAt, report.startedAt)) (\(when))")
            }
        }
        if !report.warnings.isEmpty {
            lines.append("")
            lines.append("warnings:")
            lines.append(contentsOf: report.warnings.map { "  - \($0)" })
        }
        lines.append("")
        lines.append("verdict: \(headline(report.verdict))")
        lines.append("  \(report.detail)")
        if case .inconsistent(let missing) = report.verdict {
            lines.append("missing or contradicting:")
            lines.append(contentsOf: missing.map { "  - \($0)" })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The verdict in a few words, e.g. `IN FLIGHT (waiting on drone for drone.allocated)`.
    package static func headline(_ verdict: SagaVerdict) -> String {
        switch verdict {
        case .completed: "COMPLETED"
        case .compensated: "COMPENSATED"
        case .rejected: "REJECTED"
        case .cancelled: "CANCELLED"
        case .inFlight(let service, let event): "IN FLIGHT (waiting on \(service) for \(event))"
        case .stuck: "STUCK"
        case .inconsistent(let missing): "INCONSISTENT (\(missing.count) problem(s))"
        }
    }

    /// One event's line: `+0.012s  package.created  by package → handled by drone (+0.020s), history (+0.015s)`.
    package static func line(for event: TracedEvent, start: Date?) -> String {
        var text = "\(offset(event.occurredAt, start))  \(event.type)"
        if event.isCompensation { text += " [compensation]" }
        text += "  by \(event.producer)"
        var facts: [String] = []
        if let code = event.reasonCode { facts.append(code) }
        if let note = event.note { facts.append(note) }
        if !facts.isEmpty { text += " (" + facts.joined(separator: ", ") + ")" }
        if !event.logged { text += " [not in the history log]" }
        if event.handledBy.isEmpty {
            text += " → not handled yet"
        } else {
            text += " → handled by " + event.handledBy.map { "\($0.service) (\(offset($0.at, start)))" }.joined(separator: ", ")
        }
        return text
    }

    private static func offset(_ date: Date, _ start: Date?) -> String {
        guard let start else { return RFC3339.string(from: date) }
        return SagaTimeText.offset(date.timeIntervalSince(start))
    }

    private static func short(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }
    private static func short(_ id: String) -> String { String(id.lowercased().prefix(8)) }
}

/// The report as JSON, in a stable shape (docs/saga-inspect.md documents it):
/// `{deliveryId, verdict: {state, detail, missing[], waitingOn, for, final}, events: [{eventId,
/// type, producer, occurredAt, causationId, compensation, handledBy: [{service, at}], logged,
/// depth, reasonCode}], pendingOutbox: [...], parked: [...], pendingDeadlines: [...],
/// warnings: [...], startedAt, inspectedAt}`. Dates are RFC 3339 in UTC, ids lowercase.
package enum SagaJSONRenderer {
    /// The report as a JSON value.
    package static func value(_ report: SagaReport) -> JSONValue {
        var verdict: [String: JSONValue] = [
            "state": .string(report.verdict.state), "detail": .string(report.detail),
            "missing": .array(report.verdict.missing.map(JSONValue.string)), "final": .bool(report.verdict.isFinal),
            "waitingOn": .null, "for": .null,
        ]
        if case .inFlight(let service, let event) = report.verdict {
            verdict["waitingOn"] = .string(service)
            verdict["for"] = .string(event)
        }
        let events: [JSONValue] = report.events.map { event in
            .object([
                "eventId": id(event.eventId), "type": .string(event.type), "producer": .string(event.producer),
                "occurredAt": date(event.occurredAt), "causationId": event.causationId.map(id) ?? .null,
                "compensation": .bool(event.isCompensation), "logged": .bool(event.logged), "depth": .number(Double(event.depth)),
                "reasonCode": event.reasonCode.map(JSONValue.string) ?? .null,
                "handledBy": .array(event.handledBy.map { .object(["service": .string($0.service), "at": date($0.at)]) }),
            ])
        }
        let outbox: [JSONValue] = report.pendingOutbox.map { row in
            .object([
                "service": .string(row.service), "eventId": id(row.eventId), "type": .string(row.eventType),
                "producer": .string(row.producer), "causationId": row.causationId.map(id) ?? .null,
                "committedAt": date(row.committedAt),
            ])
        }
        let parked: [JSONValue] = report.parked.map { message in
            .object([
                "service": .string(message.service), "queue": .string(message.queue),
                "messageId": message.messageId.map { .string($0.lowercased()) } ?? .null,
                "type": message.eventType.map(JSONValue.string) ?? .null, "reason": .string(message.reason),
                "lastError": message.lastError.map(JSONValue.string) ?? .null, "attempts": .number(Double(message.attempts)),
                "parkedAt": message.parkedAt.map(JSONValue.string) ?? .null,
            ])
        }
        let deadlines: [JSONValue] = report.pendingDeadlines.map { deadline in
            .object(["service": .string(deadline.service), "name": .string(deadline.name), "fireAt": date(deadline.fireAt)])
        }
        return .object([
            "deliveryId": id(report.deliveryId), "verdict": .object(verdict), "events": .array(events),
            "pendingOutbox": .array(outbox), "parked": .array(parked), "pendingDeadlines": .array(deadlines),
            "warnings": .array(report.warnings.map(JSONValue.string)),
            "startedAt": report.startedAt.map(date) ?? .null, "inspectedAt": date(report.inspectedAt),
        ])
    }

    /// The report as pretty-printed JSON text with sorted keys.
    package static func render(_ report: SagaReport) -> String {
        text(value(report))
    }

    /// Any JSON value as pretty-printed text with sorted keys (ends with a newline).
    package static func text(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return value.jsonText + "\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func id(_ uuid: UUID) -> JSONValue { .string(uuid.uuidString.lowercased()) }
    static func date(_ date: Date) -> JSONValue { .string(RFC3339.string(from: date)) }
}

/// The report as a Mermaid `sequenceDiagram` (renders on GitHub): one participant per service,
/// an arrow from producer to each consumer per handled event, compensations drawn as `-x`
/// arrows with a note, parked and unpublished messages as notes, the verdict as a final note.
package enum SagaMermaidRenderer {
    /// The diagram's Mermaid source (ends with a newline).
    package static func render(_ report: SagaReport) -> String {
        let known = SagaContract.services
        let extra = Set(report.events.flatMap { [$0.producer] + $0.handledBy.map(\.service) } + report.parked.map(\.service))
            .subtracting(known).sorted()
        let lanes = known + extra
        var lines = ["sequenceDiagram"]
        lines += lanes.map { "    participant \(name($0))" }
        for event in report.events.sorted(by: { ($0.occurredAt, $0.eventId.uuidString) < ($1.occurredAt, $1.eventId.uuidString) }) {
            let producer = name(event.producer)
            let label = text(event.type + (event.reasonCode.map { " \($0)" } ?? ""))
            if event.isCompensation { lines.append("    Note over \(producer): compensation \(text(event.type))") }
            if event.handledBy.isEmpty {
                lines.append("    Note over \(producer): \(label) not handled yet")
            }
            for handling in event.handledBy {
                lines.append("    \(producer)\(event.isCompensation ? "-x" : "->>")\(name(handling.service)): \(label)")
            }
        }
        for row in report.pendingOutbox {
            lines.append("    Note over \(name(row.service)): \(text(row.eventType)) committed, not yet published")
        }
        for message in report.parked {
            lines.append("    Note over \(name(message.service)): PARKED \(text(message.eventType ?? "message")) \(text(message.reason))")
        }
        lines.append("    Note over \(name(lanes.first!)),\(name(lanes.last!)): verdict \(text(report.verdict.state))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A participant name: letters, digits and `_` only.
    private static func name(_ service: String) -> String {
        let cleaned = String(service.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" })
        return cleaned.isEmpty ? "unknown" : cleaned
    }

    /// Label text Mermaid takes as is: ASCII letters, digits, and `.-_ ` only.
    private static func text(_ label: String) -> String {
        String(label.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || ".-_ ".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
        })
    }
}
