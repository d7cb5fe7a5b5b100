import Choreography
import Contracts
import Foundation
import Logging
import Synchronization
import Testing

/// `LOG_FORMAT=json`: one JSON object per line.
@Suite("JSON log lines")
struct JSONLogHandlerTests {
    @Test("a record is one line of JSON with the time, level, label, message, source and every metadata key")
    func line() throws {
        let text = JSONLogHandler.line(
            date: Date(timeIntervalSince1970: 1_780_000_000.25), level: .warning, label: "drone", message: "drone \"released\"\nagain",
            source: "DroneService", metadata: ["drone.id": "drone-007", "attempts": .stringConvertible(3), "tags": ["a", "b"]])
        #expect(!text.contains("\n"))
        let value = try JSONValue(parsing: text)
        #expect(value == [
            "timestamp": "2026-05-28T20:26:40.250Z", "level": "warning", "label": "drone", "message": "drone \"released\"\nagain",
            "source": "DroneService", "drone.id": "drone-007", "attempts": "3", "tags": ["a", "b"],
        ])
    }

    @Test("the handler writes the logger's metadata and the call's, the call's winning")
    func handler() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "account") { label in JSONLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        logger[metadataKey: "service.name"] = "account"
        logger[metadataKey: "reason.code"] = "OLD"
        logger.info("account rejected", metadata: ["reason.code": "ACCOUNT_SUSPENDED"])
        logger.debug("below the level")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let value = try JSONValue(parsing: try #require(written.first))
        #expect(value["service.name"] == "account" && value["reason.code"] == "ACCOUNT_SUSPENDED" && value["level"] == "info")
    }
}
