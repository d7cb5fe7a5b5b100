import Choreography
import Contracts
import Foundation
import Hummingbird
import ServiceHTTP
import Testing

/// `/health/ready`'s answer, as the OpenAPI document's `Health` schema and 503 problem say.
@Suite("Readiness answers")
struct ReadinessTests {
    /// The body of `response` as JSON.
    private func body(_ response: Response) async throws -> JSONValue {
        let writer = CollectingWriter()
        try await response.body.write(writer)
        return try JSONValue(parsing: String(decoding: await writer.bytes, as: UTF8.self))
    }

    @Test("every check up: 200 with status up and each check; any down: 503 problem naming each")
    func readiness() async throws {
        let ready = OperationsEndpoints.readiness(["broker": true, "database": true, "migrated": true])
        #expect(ready.status == .ok)
        #expect(try await body(ready) == ["status": "up", "checks": ["broker": "up", "database": "up", "migrated": "up"]])
        let notReady = OperationsEndpoints.readiness(["broker": false, "database": true, "migrated": false])
        #expect(notReady.status == .serviceUnavailable)
        #expect(notReady.headers[.contentType] == "application/problem+json")
        let problem = try await body(notReady)
        #expect(problem["detail"] == "broker: down, migrated: down")
        #expect(problem["status"] == 503)
    }
}

/// A response body writer that keeps what it is given.
actor CollectingWriter: ResponseBodyWriter {
    var bytes: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws {
        bytes += buffer.readableBytesView
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
