import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A plain HTTP/1.1 client for the tests, the load generator and the tools: a small facade over
/// async-http-client (pooled keep-alive connections, a deadline on every request) that hands back
/// the whole response as bytes. (FoundationNetworking's async `URLSession` calls can wait forever
/// on Linux.)
package struct PlainHTTPClient: Sendable {
    /// A complete response.
    package struct Response: Sendable {
        /// The status code, e.g. 202.
        package var status: Int
        /// Response headers in arrival order.
        package var headers: [(name: String, value: String)]
        /// The body bytes.
        package var body: [UInt8]

        /// The body as UTF-8 text.
        package var text: String { String(decoding: body, as: UTF8.self) }

        /// The first header with this name (case-insensitive).
        package func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Why a request did not get a response.
    package struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        package var description: String
    }

    /// Host to connect to.
    package var host: String
    /// TCP port.
    package var port: Int
    /// The longest a request may take, connect included.
    package var timeout: Duration
    /// Headers sent with every request (e.g. `Authorization`), before each request's own.
    package var headers: [(String, String)]

    /// A client for `http://host:port`.
    package init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(10), headers: [(String, String)] = []) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.headers = headers
    }

    /// GET `path`.
    package func get(_ path: String, headers: [(String, String)] = []) async throws -> Response {
        try await request("GET", path, headers: headers)
    }

    /// POST a JSON body to `path`.
    package func post(_ path: String, json: [UInt8], headers: [(String, String)] = []) async throws -> Response {
        try await request("POST", path, headers: [("Content-Type", "application/json")] + headers, body: json)
    }

    /// DELETE `path`.
    package func delete(_ path: String, headers: [(String, String)] = []) async throws -> Response {
        try await request("DELETE", path, headers: headers)
    }

    /// Sends one request through async-http-client's shared client (pooled keep-alive
    /// connections) and waits for the whole response, within `timeout`.
    package func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: "http://\(host):\(port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in self.headers + headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let deadline = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: deadline)
            let collected = try await response.body.collect(upTo: Self.maximumBodyBytes)
            return Response(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(collected.readableBytesView))
        } catch {
            throw Failure(description: "\(method) http://\(host):\(port)\(path): \(error)")
        }
    }

    /// The largest response body read (the explorer's pages and history's timelines are far smaller).
    static let maximumBodyBytes = 64 * 1024 * 1024
}
