import Foundation
import Hummingbird

/// An RFC 9457 problem document (`application/problem+json`), the body of every HTTP error the
/// services answer (see `schemas/openapi.yaml`, `Problem`).
public struct ProblemDetails: Codable, Sendable, Equatable {
    /// One invalid field of a request.
    public struct FieldError: Codable, Sendable, Equatable {
        /// JSON pointer of the field in the request body; empty for the body itself.
        public var pointer: String
        /// What is wrong with it.
        public var detail: String
        /// The JSON Schema keyword that failed, when a schema found it.
        public var keyword: String?

        /// A field error.
        public init(pointer: String, detail: String, keyword: String? = nil) {
            self.pointer = pointer
            self.detail = String(detail.prefix(500))
            self.keyword = keyword
        }
    }

    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var errors: [FieldError]?

    /// A problem of kind `slug` (https://fabrikam.example/problems/<slug>).
    public init(_ slug: String, title: String, status: HTTPResponse.Status, detail: String? = nil, errors: [FieldError]? = nil) {
        self.type = "https://fabrikam.example/problems/\(slug)"
        self.title = title
        self.status = status.code
        self.detail = detail.map { String($0.prefix(2000)) }
        self.errors = errors.map { Array($0.prefix(100)) }
    }

    /// The HTTP response carrying this problem.
    public var response: Response {
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
    public static func json(_ status: HTTPResponse.Status, _ body: Data, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
