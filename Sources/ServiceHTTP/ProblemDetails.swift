package import Foundation
package import Hummingbird
package import Logging
import Postgres

/// An RFC 9457 problem document (`application/problem+json`), the body of every HTTP error the
/// services answer (see `schemas/openapi.yaml`, `Problem`).
package struct ProblemDetails: Codable, Sendable, Equatable {
    /// One invalid field of a request.
    package struct FieldError: Codable, Sendable, Equatable {
        /// JSON pointer of the field in the request body; empty for the body itself.
        package var pointer: String
        /// What is wrong with it.
        package var detail: String
        /// The JSON Schema keyword that failed, when a schema found it.
        package var keyword: String?

        /// A field error.
        package init(pointer: String, detail: String, keyword: String? = nil) {
            self.pointer = pointer
            self.detail = String(detail.prefix(500))
            self.keyword = keyword
        }
    }

    package var type: String
    package var title: String
    package var status: Int
    package var detail: String?
    package var errors: [FieldError]?

    /// A problem of kind `slug` (https://fabrikam.example/problems/<slug>).
    package init(_ slug: String, title: String, status: HTTPResponse.Status, detail: String? = nil, errors: [FieldError]? = nil) {
        self.type = "https://fabrikam.example/problems/\(slug)"
        self.title = title
        self.status = status.code
        self.detail = detail.map { String($0.prefix(2000)) }
        self.errors = errors.map { Array($0.prefix(100)) }
    }

    /// The HTTP response carrying this problem.
    package var response: Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data(#"{"type":"about:blank","title":"error","status":500}"#.utf8)
        return Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/problem+json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Response {
    /// A JSON response with an encoded body (dates in RFC 3339, as the contracts write them).
    package static func json(_ status: HTTPResponse.Status, _ body: Data, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension ProblemDetails: Error {}

extension ProblemDetails {
    /// A path's delivery id, or a thrown 400 problem when it is not a UUID.
    package static func deliveryId(_ text: String?) throws -> UUID {
        guard let text, let id = UUID(uuidString: text) else {
            throw ProblemDetails(
                "malformed-request", title: "Malformed request", status: .badRequest,
                detail: "'\(String((text ?? "").prefix(64)))' is not a delivery id (a UUID).")
        }
        return id
    }

    /// The 404 for a delivery no one knows.
    package static func deliveryNotFound(_ id: UUID) -> ProblemDetails {
        ProblemDetails("not-found", title: "Delivery not found", status: .notFound, detail: "No delivery \(id.uuidString.lowercased()).")
    }

    /// Runs a route and turns its failures into answers: a thrown `ProblemDetails` becomes its
    /// response, an unavailable database a 503 (with `unavailableDetail`), anything else a logged 500.
    package static func answering(
        _ logger: Logger, unavailableDetail: String, _ route: () async throws -> Response
    ) async -> Response {
        do {
            return try await route()
        } catch let problem as ProblemDetails {
            return problem.response
        } catch let error as PostgresError where error.isConnectionError {
            logger.info("database unavailable", metadata: ["error.message": "\(error)"])
            return ProblemDetails("unavailable", title: "Service unavailable", status: .serviceUnavailable, detail: unavailableDetail).response
        } catch {
            logger.error("request failed", metadata: ["error.message": "\(error)"])
            return ProblemDetails("internal-error", title: "Internal error", status: .internalServerError).response
        }
    }
}
