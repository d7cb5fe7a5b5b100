package import Choreography
import Foundation
package import Hummingbird
import Logging
package import Prometheus

/// The HTTP surface every daemon has: `/health/live`, `/health/ready` (503 until connected to both
/// servers and migrated) and Prometheus `/metrics`. Services may add their own routes.
package enum OperationsEndpoints {
    /// The paths served here (GET only).
    static let paths = ["/health/live", "/health/ready", "/metrics"]

    /// Adds the health and metrics routes to `router`.
    package static func register(on router: Router<BasicRequestContext>, health: HealthState, registry: PrometheusCollectorRegistry?) {
        router.get("/health/live") { _, _ -> Response in
            .json(.ok, Data(#"{"status":"up"}"#.utf8))
        }
        router.get("/health/ready") { _, _ -> Response in
            readiness(health.report)
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry?.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        for path in paths { UnroutedRequests.refuseOtherMethods(on: router, at: path, allowing: [.get]) }
        router.add(middleware: UnroutedRequests.NotFoundMiddleware())
    }

    /// The `/health/ready` answer for `checks` (each dependency up or not), as the OpenAPI
    /// document's `Health` schema says: 200 `{"status":"up","checks":{…}}` when every check is up,
    /// otherwise a 503 problem naming what is down.
    package static func readiness(_ checks: [String: Bool]) -> Response {
        let down = checks.filter { !$0.value }.keys.sorted()
        guard down.isEmpty else {
            return ProblemDetails(
                "not-ready", title: "Service not ready", status: .serviceUnavailable,
                detail: down.map { "\($0): down" }.joined(separator: ", ")).response
        }
        let listed = checks.keys.sorted().map { "\"\($0)\":\"up\"" }.joined(separator: ",")
        return .json(.ok, Data(#"{"status":"up","checks":{\#(listed)}}"#.utf8))
    }
}
