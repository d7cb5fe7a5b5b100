import Hummingbird
import Tracing

/// Hummingbird's `TracingMiddleware` for a service's own routes (a server span per request,
/// continuing the caller's W3C trace), leaving the operations endpoints (health probes, metrics
/// scrapes) untraced.
struct RouteTracingMiddleware<Context: RequestContext>: RouterMiddleware {
    private let tracing = TracingMiddleware<Context>()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if OperationsEndpoints.paths.contains(request.uri.path) { return try await next(request, context) }
        return try await tracing.handle(request, context: context, next: next)
    }
}
