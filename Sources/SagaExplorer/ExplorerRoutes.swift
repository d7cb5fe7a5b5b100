import Foundation
import HTTPTypes
package import Hummingbird
import Logging
import NIOCore
import Postgres
import SagaInspect

/// The explorer's HTTP routes: `/` (sagas), `/sagas/{id}`, `/sagas/{id}/events-stream`, `/stats`,
/// `/parked`, `/parked/replay` (GET asks, POST replays). Every page is server-rendered HTML.
package enum ExplorerRoutes {
    /// A router with every route.
    package static func router(_ explorer: SagaExplorer) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/") { request, context in
            await page(context.logger) {
                let filter = try SagaListFilter.parse(FormFields.parse(request.uri.query ?? ""))
                return ListPage.render(try await explorer.page(filter), filter: filter)
            }
        }
        router.get("/sagas/:id") { _, context in
            await page(context.logger) {
                let id = try deliveryId(context.parameters.get("id"))
                guard let found = try await explorer.report(id, parked: await explorer.readParked()) else { throw NotFound(deliveryId: id) }
                return SagaPage.render(found.report, snapshot: found.snapshot)
            }
        }
        router.get("/sagas/:id/events-stream") { _, context in
            await answer(context.logger) {
                let id = try deliveryId(context.parameters.get("id"))
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
                    body: ResponseBody { writer in
                        try await stream(id, explorer: explorer, logger: context.logger) { text in try await writer.write(ByteBuffer(string: text)) }
                        try await writer.finish(nil)
                    })
            }
        }
        router.get("/stats") { request, context in
            await page(context.logger) {
                let sinceText = FormFields.parse(request.uri.query ?? "")["since"].flatMap { $0.isEmpty ? nil : $0 }
                var since: Date?
                if let sinceText {
                    guard let date = SagaTimeText.since(sinceText) else { throw ExplorerInputError("since takes a duration (90s, 30m, 1h, 2d) or an RFC 3339 time, not “\(sinceText)”") }
                    since = date
                }
                return StatsPage.render(try await explorer.stats(since: since), sinceText: sinceText)
            }
        }
        router.get("/parked") { _, context in
            await page(context.logger) { ParkedPage.render(await explorer.readParked()) }
        }
        router.get("/parked/replay") { request, context in
            await page(context.logger) {
                let (service, id) = try replayTarget(FormFields.parse(request.uri.query ?? ""))
                let message = await explorer.readParked().messages.first { $0.service == service && $0.messageId == id }
                return ParkedPage.confirm(service: service, messageId: id, message: message)
            }
        }
        router.post("/parked/replay") { request, context in
            var request = request
            return await page(context.logger) {
                guard sameOrigin(request) else { throw Refused(reason: "a replay must come from the explorer's own page") }
                let form = FormFields.parse(String(buffer: try await request.collectBody(upTo: 16_384)))
                let (service, id) = try replayTarget(form)
                guard form["confirm"] == "yes" else { throw ExplorerInputError("confirm the replay on the confirmation page") }
                guard try await explorer.isOperatorKey(form["api_key"] ?? "") else {
                    throw Refused(reason: "replaying a parked message needs a live operator's API key (saga-admin api-keys issue --operator)")
                }
                return ParkedPage.result(service: service, messageId: id, replayed: try await explorer.replay(service: service, messageId: id))
            }
        }
        return router
    }

    /// The id in a path: a UUID, else a 400.
    static func deliveryId(_ text: String?) throws(ExplorerInputError) -> UUID {
        guard let text, let id = UUID(uuidString: text) else {
            throw ExplorerInputError("“\(text ?? "")” is not a delivery id: expected a UUID such as 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
        }
        return id
    }

    /// The service and message id of a replay, the service one of the six.
    static func replayTarget(_ form: [String: String]) throws(ExplorerInputError) -> (service: String, id: String) {
        guard let service = form["service"], SagaContract.services.contains(service) else {
            throw ExplorerInputError("service must be one of \(SagaContract.services.joined(separator: ", "))")
        }
        guard let id = form["id"], !id.isEmpty, id.count <= 200 else { throw ExplorerInputError("which message? (id is missing)") }
        return (service, id)
    }

    /// Whether a POST comes from a page of this server: no `Origin` (not a browser's cross-site
    /// request) or one whose host and port are the request's.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let url = URLComponents(string: origin), let host = url.host else { return false }
        let authority = url.port.map { "\(host):\($0)" } ?? host
        return authority == request.head.authority
    }

    /// Runs `body` and answers its HTML, or the error page that fits what it threw.
    static func page(_ logger: Logger, _ body: () async throws -> String) async -> Response {
        await answer(logger) { html(.ok, try await body()) }
    }

    /// Runs `body`; bad input is a 400 page, an unknown delivery a 404, a refused request a 403,
    /// anything else (the database unreadable) a 503.
    static func answer(_ logger: Logger, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as ExplorerInputError {
            return html(.badRequest, ErrorPage.render(status: 400, title: "Bad request", message: error.description))
        } catch let error as NotFound {
            return html(.notFound, ErrorPage.render(status: 404, title: "Not found", message: "No delivery \(error.deliveryId.uuidString.lowercased()) in any service's schema."))
        } catch let error as Refused {
            return html(.forbidden, ErrorPage.render(status: 403, title: "Refused", message: error.reason))
        } catch {
            logger.error("explorer request failed", metadata: ["error": "\(error)"])
            return html(.serviceUnavailable, ErrorPage.render(status: 503, title: "Unavailable", message: "The data could not be read: \(error)"))
        }
    }

    /// An HTML response that is never cached.
    static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Polls the saga every ``SagaExplorer/pollInterval``, sends `update` when its fingerprint
    /// changes and `final` (then returns) when the verdict is final; a comment every 30 polls finds
    /// a closed connection (the write throws).
    static func stream(_ id: UUID, explorer: SagaExplorer, logger: Logger, send: (String) async throws -> Void) async throws {
        var last: [String]?
        var parked = await explorer.readParked()
        var polls = 0
        try await send("retry: 2000\n\n")
        while true {
            if polls > 0, polls % max(1, explorer.parkedEveryPolls) == 0 { parked = await explorer.readParked() }
            polls += 1
            do {
                if let found = try await explorer.report(id, parked: parked) {
                    let fingerprint = SagaEventStream.fingerprint(found.report)
                    if found.report.verdict.isFinal {
                        try await send(SagaEventStream.event("final", data: SagaPage.live(found.report, snapshot: found.snapshot)))
                        return
                    }
                    if fingerprint != last {
                        try await send(SagaEventStream.event("update", data: SagaPage.live(found.report, snapshot: found.snapshot)))
                        last = fingerprint
                    } else if polls % 30 == 0 {
                        try await send(": still following\n\n")
                    }
                }
            } catch let error as PostgresError {
                logger.warning("explorer stream could not read the saga", metadata: ["error": "\(error)"])
                try await send(": database unavailable, retrying\n\n")
            }
            try await Task.sleep(for: explorer.pollInterval)
        }
    }

    /// An unknown delivery (404).
    struct NotFound: Error {
        /// The delivery no schema knows.
        var deliveryId: UUID
    }

    /// A request the explorer will not carry out (403).
    struct Refused: Error {
        /// Why, in plain words.
        var reason: String
    }
}

/// `application/x-www-form-urlencoded` text (a query string or a form's body) as name → value;
/// the first of repeated names wins.
package enum FormFields {
    /// The fields of `text`, `+` read as a space and percent escapes decoded.
    package static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }
}
