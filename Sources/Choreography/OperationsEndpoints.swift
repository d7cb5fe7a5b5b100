import Foundation
import Hummingbird
import Logging
import Prometheus

/// The HTTP surface every daemon has: `/health/live`, `/health/ready` (503 until connected to both
/// servers and migrated) and Prometheus `/metrics`. Services may add their own routes.
public enum OperationsEndpoints {
    /// Adds the health and metrics routes to `router`.
    public static func register(on router: Router<BasicRequestContext>, health: HealthState, registry: PrometheusCollectorRegistry?) {
        router.get("/health/live") { _, _ -> Response in
            .json(.ok, Data(#"{"status":"live"}"#.utf8))
        }
        router.get("/health/ready") { _, _ -> Response in
            let report = health.report.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
            return .json(health.isReady ? .ok : .serviceUnavailable, Data(#"{"ready":\#(health.isReady),\#(report)}"#.utf8))
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry?.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
