import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client over SwiftNIO (plain TCP, one request per connection, a deadline on
/// every request) for the tests, the load generator and the tools. It exists because
/// FoundationNetworking's async `URLSession` calls can wait forever on Linux.
public struct PlainHTTPClient: Sendable {
    /// A complete response.
    public struct Response: Sendable {
        /// The status code, e.g. 202.
        public var status: Int
        /// Response headers in arrival order.
        public var headers: [(name: String, value: String)]
        /// The body bytes.
        public var body: [UInt8]

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The first header with this name (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Why a request did not get a response.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// Host to connect to.
    public var host: String
    /// TCP port.
    public var port: Int
    /// The longest a request may take, connect included.
    public var timeout: Duration
    /// Headers sent with every request (e.g. `Authorization`), before each request's own.
    public var headers: [(String, String)]

    /// A client for `http://host:port`.
    public init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(10), headers: [(String, String)] = []) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.headers = headers
    }

    /// GET `path`.
    public func get(_ path: String, headers: [(String, String)] = []) async throws -> Response {
        try await request("GET", path, headers: headers)
    }

    /// POST a JSON body to `path`.
    public func post(_ path: String, json: [UInt8], headers: [(String, String)] = []) async throws -> Response {
        try await request("POST", path, headers: [("Content-Type", "application/json")] + headers, body: json)
    }

    /// DELETE `path`.
    public func delete(_ path: String, headers: [(String, String)] = []) async throws -> Response {
        try await request("DELETE", path, headers: headers)
    }

    /// Sends one request on a new connection and waits for the whole response.
    public func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> Response {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Response.self)
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(milliseconds))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw Failure(description: "cannot connect to \(host):\(port): \(error)")
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in self.headers + headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: "\(body?.count ?? 0)")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timer = channel.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) {
            promise.fail(Failure(description: "\(method) \(path) got no response within \(timeout)"))
            channel.close(promise: nil)
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Collects one response and completes the promise (once) with it or with the connection's end.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<PlainHTTPClient.Response>
    private var response = PlainHTTPClient.Response(status: 0, headers: [], body: [])
    private var completed = false

    init(promise: EventLoopPromise<PlainHTTPClient.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            response.headers = head.headers.map { ($0.name, $0.value) }
        case .body(var buffer):
            response.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            complete(.success(response))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(PlainHTTPClient.Failure(description: "the connection closed before a complete response")))
        context.fireChannelInactive()
    }

    private func complete(_ result: Result<PlainHTTPClient.Response, any Error>) {
        guard !completed else { return }
        completed = true
        promise.completeWith(result)
    }
}
