import Choreography
import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Postgres

/// The HTTP side of `schemas/openapi.yaml` that the history service serves:
/// `GET /api/deliveries/{deliveryId}` (the status) and `GET /api/deliveries/{deliveryId}/events`
/// (the timeline). An id that is not a UUID is a 400, an unknown delivery a 404, an unavailable
/// database a 503; every error is problem+json.
public enum HistoryRoutes {
    /// One delivery's status.
    static let deliveryPath = "/api/deliveries/:deliveryId"
    /// One delivery's timeline.
    static let timelinePath = "/api/deliveries/:deliveryId/events"

    /// Adds the routes to `router`; they read through `database`.
    public static func register(
        on router: Router<BasicRequestContext>, database: ServiceDatabase, settings: HistorySettings = HistorySettings()
    ) {
        router.get(RouterPath(deliveryPath)) { _, context -> Response in
            await answer(context.logger, context.parameters.get("deliveryId")) { deliveryId in
                try await database.read { db in try HistoryQueries.status(deliveryId: deliveryId, on: db) }
            }
        }
        let limit = settings.timelineLimit
        router.get(RouterPath(timelinePath)) { _, context -> Response in
            await answer(context.logger, context.parameters.get("deliveryId")) { deliveryId in
                try await database.read { db in try HistoryQueries.timelineDocument(deliveryId: deliveryId, limit: limit, on: db) }
            }
        }
        for path in [deliveryPath, timelinePath] { UnroutedRequests.refuseOtherMethods(on: router, at: path, allowing: [.get]) }
    }

    /// Parses the id, runs the query and answers: the document as JSON, or the fitting problem.
    private static func answer<Document: Encodable>(
        _ logger: Logger, _ idText: String?, _ query: (UUID) async throws -> Document?
    ) async -> Response {
        await ProblemDetails.answering(logger, unavailableDetail: "The database is unavailable; retry later.") {
            let deliveryId = try ProblemDetails.deliveryId(idText)
            guard let document = try await query(deliveryId) else { throw ProblemDetails.deliveryNotFound(deliveryId) }
            return .json(.ok, try EventCoding.makeEncoder().encode(document))
        }
    }
}
