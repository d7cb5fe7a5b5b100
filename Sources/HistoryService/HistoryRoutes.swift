import APIAccess
import APIAccessHTTP
import Choreography
import Contracts
import Foundation
import HTTPTypes
package import Hummingbird
import Logging
import Postgres
package import ServiceHTTP

/// The HTTP side of `schemas/openapi.yaml` that the history service serves:
/// `GET /api/deliveries/{deliveryId}` (the status) and `GET /api/deliveries/{deliveryId}/events`
/// (the timeline). An id that is not a UUID is a 400, an unknown delivery a 404, an unavailable
/// database a 503; every error is problem+json. Every request is authenticated by API key
/// (``APIAccess``); a customer sees only its own deliveries: another owner's, or one whose owner the
/// projection does not know yet, is the same 404 as an unknown id.
package enum HistoryRoutes {
    /// One delivery's status.
    static let deliveryPath = "/api/deliveries/:deliveryId"
    /// One delivery's timeline.
    static let timelinePath = "/api/deliveries/:deliveryId/events"

    /// Adds the routes to `router`; they read through `database`.
    package static func register(
        on router: Router<BasicRequestContext>, database: ServiceDatabase, settings: HistorySettings = HistorySettings()
    ) {
        let api = APIAccess.authenticated(router, database: database)
        api.get(RouterPath(deliveryPath)) { _, context -> Response in
            await answer(context) { deliveryId, principal in
                try await database.read { db -> DeliveryStatus? in
                    try HistoryQueries.status(deliveryId: deliveryId, on: db).flatMap {
                        APIAccessRules.maySee(deliveryOwnedBy: $0.ownerId, as: principal) ? $0 : nil
                    }
                }
            }
        }
        let limit = settings.timelineLimit
        api.get(RouterPath(timelinePath)) { _, context -> Response in
            await answer(context) { deliveryId, principal in
                try await database.read { db -> DeliveryTimeline? in
                    if principal.ownerScope != nil {
                        guard APIAccessRules.maySee(deliveryOwnedBy: try HistoryQueries.owner(deliveryId: deliveryId, on: db), as: principal)
                        else { return nil }
                    }
                    return try HistoryQueries.timelineDocument(deliveryId: deliveryId, limit: limit, on: db)
                }
            }
        }
        for path in [deliveryPath, timelinePath] { UnroutedRequests.refuseOtherMethods(on: api, at: path, allowing: [.get]) }
    }

    /// Parses the id, runs the query for the request's principal and answers: the document as
    /// JSON, or the fitting problem (nil from the query is the 404).
    private static func answer<Document: Encodable>(
        _ context: APIRequestContext, _ query: (UUID, APIPrincipal) async throws -> Document?
    ) async -> Response {
        await ProblemDetails.answering(context.logger, unavailableDetail: "The database is unavailable; retry later.") {
            let deliveryId = try ProblemDetails.deliveryId(context.parameters.get("deliveryId"))
            guard let document = try await query(deliveryId, try context.principal) else { throw ProblemDetails.deliveryNotFound(deliveryId) }
            return .json(.ok, try EventCoding.makeEncoder().encode(document))
        }
    }
}
