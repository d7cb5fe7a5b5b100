import Foundation
package import SagaInspect

/// The parked messages page (`/parked`) and the replay confirmation and result pages.
package enum ParkedPage {
    /// Every service's parked messages with their reasons, each with a link to replay it.
    package static func render(_ reading: SagaParkedMessageReader.Reading) -> String {
        var body = "<h1>Parked messages</h1>"
        if !reading.warnings.isEmpty {
            body += "<ul class=\"warnings\">" + reading.warnings.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        }
        body += "<p>\(reading.messages.count) parked message(s).</p>"
        for service in SagaContract.services {
            let messages = reading.messages.filter { $0.service == service }
            body += "<section class=\"service\" data-service=\"\(HTML.escape(service))\"><h2>\(HTML.escape(service)) <small>(\(messages.count))</small></h2>"
            guard !messages.isEmpty else {
                body += "<p>None.</p></section>"
                continue
            }
            body += "<table><thead><tr><th>Event</th><th>Delivery</th><th>Reason</th><th>Attempts</th><th>Parked</th><th>Last error</th><th></th></tr></thead><tbody>"
            for message in messages {
                let delivery = message.deliveryId.flatMap(UUID.init(uuidString:)).map {
                    "<a class=\"id\" href=\"/sagas/\($0.uuidString.lowercased())\">\($0.uuidString.lowercased().prefix(8))</a>"
                } ?? "—"
                body += "<tr><td><code>\(HTML.escape(message.eventType ?? "(no type)"))</code><br><span class=\"id\">\(HTML.escape(message.messageId ?? "(no id)"))</span></td>"
                body += "<td>\(delivery)</td><td><strong>\(HTML.escape(message.reason))</strong></td><td>\(message.attempts)</td>"
                body += "<td>\(HTML.escape(message.parkedAt ?? "—"))</td><td>\(message.lastError.map { "<pre>\(HTML.escape($0))</pre>" } ?? "")</td><td>"
                if let id = message.messageId {
                    body += "<a href=\"/parked/replay\(HTML.escape(HTML.query([("service", service), ("id", id)])))\">Replay…</a>"
                }
                body += "</td></tr>"
            }
            body += "</tbody></table></section>"
        }
        return HTML.document(title: "Parked", current: "/parked", body: body)
    }

    /// Asks to confirm replaying one message: a form that POSTs to `/parked/replay`.
    package static func confirm(service: String, messageId: String, message: SagaParkedMessage?) -> String {
        var body = "<h1>Replay a parked message?</h1>"
        if let message {
            body += "<p>Send <code>\(HTML.escape(message.eventType ?? "(no type)"))</code> <span class=\"id\">\(HTML.escape(messageId))</span> "
            body += "back from <code>\(HTML.escape(message.queue))</code> to the \(HTML.escape(service)) service's queue for another try "
            body += "(parked for <strong>\(HTML.escape(message.reason))</strong> after \(message.attempts) attempt(s)).</p>"
        } else {
            body += "<p>No message <span class=\"id\">\(HTML.escape(messageId))</span> is parked in \(HTML.escape(service))'s queue right now; replaying it will find nothing.</p>"
        }
        body += """
            <form method="post" action="/parked/replay">
            <input type="hidden" name="service" value="\(HTML.escape(service))">
            <input type="hidden" name="id" value="\(HTML.escape(messageId))">
            <input type="hidden" name="confirm" value="yes">
            <p><label for="api-key">Operator API key</label>
            <input type="password" id="api-key" name="api_key" autocomplete="off" required></p>
            <button type="submit" id="confirm-replay">Replay it</button> <a href="/parked">Cancel</a>
            </form>
            """
        return HTML.document(title: "Replay?", current: "/parked", body: body)
    }

    /// What a replay did.
    package static func result(service: String, messageId: String, replayed: [String]) -> String {
        let body = replayed.isEmpty
            ? "<h1>Nothing replayed</h1><p id=\"replay-result\">No message <span class=\"id\">\(HTML.escape(messageId))</span> was parked in \(HTML.escape(service))'s queue.</p>"
            : "<h1>Replayed</h1><p id=\"replay-result\">Sent <span class=\"id\">\(HTML.escape(replayed.joined(separator: ", ")))</span> back to the \(HTML.escape(service)) service's queue.</p>"
        return HTML.document(title: "Replay", current: "/parked", body: body + "<p><a href=\"/parked\">Back to parked messages</a></p>")
    }
}

/// Error pages: 400 for input the explorer refuses, 404 for an unknown delivery, 503 when the
/// database cannot be read.
package enum ErrorPage {
    /// A page with a heading and an explanation.
    package static func render(status: Int, title: String, message: String) -> String {
        HTML.document(title: title, current: "", body: "<h1>\(status) \(HTML.escape(title))</h1><p id=\"error-message\">\(HTML.escape(message))</p><p><a href=\"/\">All sagas</a></p>")
    }
}
