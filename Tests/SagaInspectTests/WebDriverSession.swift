import Foundation
#if canImport(Glibc)
import Glibc
#endif
import IntegrationSupport
import PlainHTTPClient

/// A child process the browser test starts (the explorer, chromedriver), ended when the test ends.
final class ChildProcess: @unchecked Sendable {
    /// The process (used from one test at a time).
    private let process = Process()

    /// Starts `executable` with `arguments`; its output goes to `log` (a file, for a failed run's reader).
    init(_ executable: String, _ arguments: [String], log: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw HarnessError("\(executable) is not an executable file") }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Sends SIGTERM, and SIGKILL if it is still running 10 seconds later (chromedriver may
    /// ignore SIGTERM), then waits for it to exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A W3C WebDriver session with chromedriver: just what the browser test uses.
struct WebDriverSession {
    /// chromedriver's HTTP endpoint.
    let client: PlainHTTPClient
    /// The session's id.
    let id: String

    /// Opens headless Chromium (`--headless=new --no-sandbox`, as root needs) through the
    /// chromedriver on `port`.
    static func open(chromedriverPort port: Int, chromium: String) async throws -> WebDriverSession {
        let client = PlainHTTPClient(port: port, timeout: .seconds(120))
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": [
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1100"],
            ],
        ]]]
        let value = try await call(client, "POST", "/session", capabilities)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else { throw HarnessError("no session id in \(String(describing: value))") }
        return WebDriverSession(client: client, id: id)
    }

    /// Loads a URL (returns once the page has loaded).
    func navigate(_ url: String) async throws {
        _ = try await Self.call(client, "POST", "/session/\(id)/url", ["url": url])
    }

    /// Runs a script in the page and returns its result.
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await Self.call(client, "POST", "/session/\(id)/execute/sync", ["script": script, "args": arguments])
    }

    /// Clicks the first element matching a CSS selector.
    func click(_ selector: String) async throws {
        let found = try await Self.call(client, "POST", "/session/\(id)/element", ["using": "css selector", "value": selector])
        guard let element = (found as? [String: Any])?.values.first as? String else { throw HarnessError("no element \(selector)") }
        _ = try await Self.call(client, "POST", "/session/\(id)/element/\(element)/click", [:])
    }

    /// Waits until `script` returns true in the page (polled), or throws after `timeout`.
    func waitFor(_ what: String, timeout: Duration = .seconds(60), _ script: String) async throws {
        try await waitUntil(what, timeout: timeout) { try await run(script) as? Bool == true }
    }

    /// Saves a PNG of the viewport.
    func screenshot(to file: URL) async throws {
        guard let base64 = try await Self.call(client, "GET", "/session/\(id)/screenshot", nil) as? String, let png = Data(base64Encoded: base64) else {
            throw HarnessError("no screenshot")
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try png.write(to: file)
    }

    /// Closes the browser.
    func close() async {
        _ = try? await Self.call(client, "DELETE", "/session/\(id)", nil)
    }

    /// One WebDriver command: its `value`, or an error with WebDriver's message.
    static func call(_ client: PlainHTTPClient, _ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any? {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        let response = try await client.request(method, path, headers: bytes == nil ? [] : [("Content-Type", "application/json")], body: bytes)
        let json = try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]) as? [String: Any]
        guard response.status == 200 else { throw HarnessError("WebDriver \(method) \(path): \(response.status) \(response.text.prefix(500))") }
        let value = json?["value"]
        return value is NSNull ? nil : value
    }
}
