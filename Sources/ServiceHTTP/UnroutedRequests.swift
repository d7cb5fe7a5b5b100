package import HTTPTypes
package import Hummingbird

/// The answers for requests no route takes, as problem+json like every other error: 405 with an
/// `Allow` header for a path served with other methods, and 404 for an unknown path (Hummingbird
/// answers both with an empty 404).
package enum UnroutedRequests {
    /// The methods a path can be asked for that the 405 answers cover.
    package static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    /// Answers 405 on `path` for every method of ``methods`` that is not `allowed`.
    package static func refuseOtherMethods<Context: RequestContext>(
        on router: some RouterMethods<Context>, at path: String, allowing allowed: [HTTPRequest.Method]
    ) {
        let refusal = methodNotAllowed(allowing: allowed)
        for method in methods where !allowed.contains(method) {
            router.on(RouterPath(path), method: method) { _, _ -> Response in refusal }
        }
    }

    /// The 405 answer naming the `allowed` methods.
    package static func methodNotAllowed(allowing allowed: [HTTPRequest.Method]) -> Response {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        var response = ProblemDetails(
            "method-not-allowed", title: "Method not allowed", status: .methodNotAllowed,
            detail: "This path answers \(list) only.").response
        response.headers[.allow] = list
        return response
    }

    /// The 404 answer for a path no route serves.
    package static let notFound = ProblemDetails(
        "not-found", title: "Not found", status: .notFound, detail: "No resource at this path.")

    /// Turns Hummingbird's empty 404 for an unknown path into ``notFound``.
    package struct NotFoundMiddleware<Context: RequestContext>: RouterMiddleware {
        /// The middleware.
        package init() {}

        /// Passes the request on; a "no route" error becomes the problem document.
        package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            do {
                return try await next(request, context)
            } catch let error as HTTPError where error.status == .notFound {
                return UnroutedRequests.notFound.response
            }
        }
    }
}
