import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One span as an OTLP/HTTP exporter sent it (ids as lowercase hex).
struct ReceivedSpan: Sendable {
    let service: String
    let traceId: String
    let spanId: String
    let parentSpanId: String?
    let name: String
    /// OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    let kind: Int
    let attributes: [String: String]

    static let server = 2, producer = 4, consumer = 5
}

/// A small OTLP/HTTP trace receiver for tests: `POST /v1/traces` with the JSON encoding
/// (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`), keeping every span it is sent.
final class OTLPReceiver: Sendable {
    let port: Int
    private let received = Mutex<[ReceivedSpan]>([])

    init(port: Int) { self.port = port }

    /// What the services' exporters need to send here.
    var environment: [String: String] {
        [
            "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(port)/v1/traces", "OTEL_BSP_SCHEDULE_DELAY": "100",
        ]
    }

    /// Every span received so far.
    var spans: [ReceivedSpan] { received.withLock { $0 } }

    /// Serves until `body` returns.
    func serving<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 64 << 20)
            let spans = try Self.decode(Data(bytes.readableBytesView))
            self.received.withLock { $0 += spans }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: Logger(label: "otlp"))
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "otlp"))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let value: T
            do {
                value = try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        }
    }

    /// The spans of an `ExportTraceServiceRequest` in OTLP's JSON encoding.
    static func decode(_ data: Data) throws -> [ReceivedSpan] {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        var spans: [ReceivedSpan] = []
        for resourceSpans in root["resourceSpans"] as? [[String: Any]] ?? [] {
            let resource = attributes((resourceSpans["resource"] as? [String: Any])?["attributes"])
            for scopeSpans in resourceSpans["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scopeSpans["spans"] as? [[String: Any]] ?? [] {
                    spans.append(ReceivedSpan(
                        service: resource["service.name"] ?? "", traceId: hex(span["traceId"]) ?? "", spanId: hex(span["spanId"]) ?? "",
                        parentSpanId: hex(span["parentSpanId"]), name: span["name"] as? String ?? "",
                        kind: (span["kind"] as? NSNumber)?.intValue ?? 0, attributes: attributes(span["attributes"])))
                }
            }
        }
        return spans
    }

    /// An id as lowercase hex: OTLP/JSON says hex, protobuf's JSON mapping writes base64; either is read.
    static func hex(_ value: Any?) -> String? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        if (text.count == 32 || text.count == 16), text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text), !bytes.isEmpty else { return nil }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// OTLP key-value attributes, their values as text.
    static func attributes(_ value: Any?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in value as? [[String: Any]] ?? [] {
            guard let key = pair["key"] as? String, let value = pair["value"] as? [String: Any], let first = value.values.first else { continue }
            result[key] = "\(first)"
        }
        return result
    }
}
