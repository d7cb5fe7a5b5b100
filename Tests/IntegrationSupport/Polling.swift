import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A test-harness failure with a readable reason.
package struct HarnessError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes (then throws, naming what was awaited).
package func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw HarnessError("timed out after \(timeout) waiting for \(what)")
}

/// The ports ``freePort()`` hands out: below Linux's ephemeral range (32768–60999), so no
/// client connection of this or any process (to PostgreSQL, RabbitMQ, …) takes one between the
/// check and the server's bind, which the kernel's own choice (`bind` to port 0) allowed.
private let testPortRange = 20_000..<32_000

/// The next candidate port of this process: starts at a random place in the range (so concurrent
/// test processes rarely meet) and never hands out the same port twice.
private let nextTestPort = Mutex(Int.random(in: testPortRange))

/// A TCP port on 127.0.0.1 that is free now and that this process has not handed out before, for
/// a test's HTTP server.
package func freePort() -> Int {
    for _ in testPortRange {
        let candidate = nextTestPort.withLock { port in
            defer { port = port + 1 < testPortRange.upperBound ? port + 1 : testPortRange.lowerBound }
            return port
        }
        if canBind(candidate) { return candidate }
    }
    fatalError("no free port in \(testPortRange) on 127.0.0.1")
}

/// Whether a TCP socket can bind 127.0.0.1:`port` now.
private func canBind(_ port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
