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
    /// Adds the routes to `router`; they read through `database`.
    public static func register(
        on router: Router<BasicRequestContext>, database: ServiceDatabase, settings: HistorySettings = HistorySettings()
    ) {
        router.get("/api/deliveries/:deliveryId") { _, context -> Response in
            await answer(context.logger, context.parameters.get("deliveryId")) { deliveryId in
                try await database.read { db in try HistoryQueries.status(deliveryId: deliveryId, on: db) }
            }
        }
        let limit = settings.timelineLimit
        router.get("/api/deliveries/:deliveryId/events") { _, context -> Response in
            await answer(context.logger, context.parameters.get("deliveryId")) { deliveryId in
                try await database.read { db in try HistoryQueries.timelineDocument(deliveryId: deliveryId, limit: limit, on: db) }
            }
        }
    }

    /// Parses the id, runs the query and answers: the document as JSON, or the fitting problem.
    private static func answer<Document: Encodable>(
        _ logger: Logger, _ idText: String?, _ query: (UUID) async throws -> Document?
    ) async -> Response {
        guard let idText, let deliveryId = UUID(uuidString: idText) else {
            return ProblemDetails(
                "malformed-request", title: "Malformed request", status: .badRequest,
                detail: "'\(String((idText ?? "").prefix(64)))' is not a delivery id (a UUID).").response
        }
        do {
            guard let document = try await query(deliveryId) else {
                return ProblemDetails(
                    "not-found", title: "Delivery not found", status: .notFound,
                    detail: "No delivery \(deliveryId.uuidString.lowercased()).").response
            }
            return .json(.ok, try EventCoding.makeEncoder().encode(document))
        } catch let error as PostgresError where error.isConnectionError {
            logger.info("database unavailable", metadata: ["error": "\(error)"])
            return ProblemDetails(
                "unavailable", title: "Service unavailable", status: .serviceUnavailable,
                detail: "The database is unavailable; retry later.").response
        } catch {
            logger.error("query failed", metadata: ["error": "\(error)"])
            return ProblemDetails("internal-error", title: "Internal error", status: .internalServerError).response
        }
    }
}
