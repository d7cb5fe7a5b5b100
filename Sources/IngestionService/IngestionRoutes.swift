import APIAccess
import APIAccessHTTP
import Choreography
import Contracts
package import Foundation
import HTTPTypes
package import Hummingbird
import Logging
import Postgres
package import ServiceHTTP
import UUIDText

/// The HTTP side of `schemas/openapi.yaml` that the ingestion service serves:
/// `POST /api/deliveries` and `DELETE /api/deliveries/{deliveryId}`; every error is problem+json.
/// Every request is authenticated by API key (``APIAccess``): a customer requests deliveries only
/// for its own owner id (else 403) and cancels only its own (another owner's is the 404 of an unknown id).
package enum IngestionRoutes {
    /// The 503 detail: a retry with the same key is safe.
    static let unavailable = "The database is unavailable; retry with the same Idempotency-Key."

    /// The collection of deliveries (`POST` a request).
    static let deliveriesPath = "/api/deliveries"
    /// One delivery (`DELETE` cancels it).
    static let deliveryPath = "/api/deliveries/:deliveryId"

    /// Bodies over this many bytes are refused with 413.
    package static let maximumBodyBytes = 16_384

    /// Adds the routes to `router`.
    package static func register(
        on router: Router<BasicRequestContext>, database: ServiceDatabase,
        bookingHorizon: TimeInterval = DeliveryRequestValidation.defaultBookingHorizon
    ) throws {
        let validation = try DeliveryRequestValidation(bookingHorizon: bookingHorizon)
        let commands = DeliveryCommands(database: database)
        let api = APIAccess.authenticated(router, database: database)
        api.post(RouterPath(deliveriesPath)) { request, context -> Response in
            await ProblemDetails.answering(context.logger, unavailableDetail: unavailable) {
                try await requestDelivery(request, by: try context.principal, validation: validation, commands: commands)
            }
        }
        api.delete(RouterPath(deliveryPath)) { _, context -> Response in
            await ProblemDetails.answering(context.logger, unavailableDetail: unavailable) {
                let deliveryId = try ProblemDetails.deliveryId(context.parameters.get("deliveryId"))
                let principal = try context.principal
                switch try await commands.cancel(deliveryId, visibleTo: { APIAccessRules.maySee(deliveryOwnedBy: $0, as: principal) }) {
                case .unknown:
                    throw ProblemDetails.deliveryNotFound(deliveryId)
                case .requested, .alreadyRequested:
                    return try accepted(deliveryId, status: "cancellation-requested")
                }
            }
        }
        UnroutedRequests.refuseOtherMethods(on: api, at: deliveriesPath, allowing: [.post])
        UnroutedRequests.refuseOtherMethods(on: api, at: deliveryPath, allowing: [.delete])
    }

    private static func requestDelivery(
        _ request: Request, by principal: APIPrincipal, validation: DeliveryRequestValidation, commands: DeliveryCommands
    ) async throws -> Response {
        guard let contentType = request.headers[.contentType], JSONMediaType.matches(contentType) else {
            throw ProblemDetails(
                "unsupported-media-type", title: "Unsupported media type", status: .unsupportedMediaType,
                detail: "Send the request as application/json.")
        }
        let key = try idempotencyKey(request.headers)
        let body: [UInt8]
        do {
            var buffer = try await request.body.collect(upTo: maximumBodyBytes)
            body = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ProblemDetails(
                "payload-too-large", title: "Request body too large", status: .contentTooLarge,
                detail: "The limit is \(maximumBodyBytes) bytes.")
        }
        let valid = try validation.validate(body).get()
        if case .forbidden(let why) = APIAccessRules.mayCreateDelivery(for: valid.request.ownerId, as: principal) {
            throw APIAccessRules.forbidden(why)
        }
        switch try await commands.accept(valid.request, json: valid.json, idempotencyKey: key) {
        case .accepted(let deliveryId):
            return try accepted(deliveryId, status: "accepted")
        case .replayed(let deliveryId):
            return try accepted(deliveryId, status: "accepted", replayed: true)
        case .keyConflict:
            throw ProblemDetails(
                "idempotency-conflict", title: "Idempotency-Key reused with a different request", status: .conflict,
                detail: "This Idempotency-Key was first used with a different body; use a new key for a new request.")
        }
    }

    /// The `Idempotency-Key` header, checked (1–255 visible ASCII characters).
    static func idempotencyKey(_ headers: HTTPFields) throws -> String? {
        guard let name = HTTPField.Name("Idempotency-Key"), let key = headers[name] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ProblemDetails(
                "malformed-request", title: "Malformed request", status: .badRequest,
                detail: "Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
        return key
    }

    private static func accepted(_ deliveryId: UUID, status: String, replayed: Bool = false) throws -> Response {
        let statusURL = "/api/deliveries/\(deliveryId.lowercaseText)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(["deliveryId": deliveryId.lowercaseText, "status": status, "statusUrl": statusURL])
        var headers: HTTPFields = [.location: statusURL]
        if replayed, let name = HTTPField.Name("Idempotency-Replayed") { headers[name] = "true" }
        return .json(.accepted, body, headers: headers)
    }
}
