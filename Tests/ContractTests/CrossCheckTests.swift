import Contracts
import Foundation
import Testing

/// The Swift validator against Python's `jsonschema` (scripts/contracts_crosscheck.py) on the same
/// documents: every example, every sample, every generated invalid document and a set of format
/// edge cases. Fails, never skips, when python3 or jsonschema is missing.
@Suite("Cross-check with Python jsonschema")
struct CrossCheckTests {
    /// One document, the schema file it is checked against, and the Swift verdict.
    struct Document {
        var name: String
        var schema: String
        var instance: JSONValue
        var valid: Bool

        var json: JSONValue {
            ["name": .string(name), "schema": .string(schema), "instance": instance, "valid": .bool(valid)]
        }
    }

    /// The Python report.
    struct Report: Decodable {
        struct Result: Decodable {
            var name: String
            var python: Bool
            var swift: Bool
            var errors: [String]
        }
        var schemasChecked: Int
        var documents: Int
        var disagreements: Int
        var problems: [String]
        var results: [Result]
    }

    /// Every document to compare, with the Swift verdicts.
    static func documents() throws -> [Document] {
        let files = try RepositoryFiles.currentDocuments()
        let set = try SchemaSet(files)
        let generator = InvalidDocumentGenerator(documents: files)
        var output: [Document] = []
        func add(_ name: String, _ path: String, _ instance: JSONValue) throws {
            let schema = try #require(set.schema(path))
            output.append(Document(name: name, schema: path, instance: instance, valid: schema.isValid(instance)))
        }
        for file in files {
            for (offset, example) in (file.content["examples"]?.arrayValue ?? []).enumerated() {
                try add("\(file.path) example \(offset)", file.path, example)
                for invalid in generator.invalidDocuments(from: example, schemaPath: file.path, label: "\(file.path) example \(offset)") {
                    try add(invalid.name, file.path, invalid.instance)
                }
            }
        }
        for payloadType in EventCatalog.payloadTypes {
            let json = try JSONValue(parsing: EventCoding.makeEncoder().encode(payloadType.sample()))
            try add("\(payloadType.eventType) sample()", payloadType.eventType.schemaPath(version: 1), json)
        }
        let envelopeExample = try #require(files.first { $0.path == "envelope.v1.json" }?.content["examples"]?[0])
        let timestamps = [
            "2026-05-01T09:30:00Z", "2026-05-01t09:30:00.5z", "2026-05-01T09:30:00+14:00", "2024-02-29T12:00:00Z",
            "2026-12-31T23:59:60Z", "2026-12-31T23:59:60+01:00", "2026-02-29T12:00:00Z", "2026-05-01T09:30:00",
            "2026-05-01 09:30:00Z", "2026-05-01T25:30:00Z", "2026-05-01T09:30:00.Z", "2026-05-01T09:30:00+02",
        ]
        for (offset, text) in timestamps.enumerated() {
            try add("envelope occurredAt \(offset) \(text)", "envelope.v1.json", envelopeExample.replacing(["occurredAt"], with: .string(text)))
        }
        let ids = [
            "3F2B8C1E-5D4A-4E7B-9C61-0A8F2D7E4B13", "3f2b8c1e5d4a4e7b9c610a8f2d7e4b13", "{3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b13}",
            "3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b1g", "urn:uuid:3f2b8c1e-5d4a-4e7b-9c61-0a8f2d7e4b13",
        ]
        for (offset, text) in ids.enumerated() {
            try add("envelope id \(offset) \(text)", "envelope.v1.json", envelopeExample.replacing(["id"], with: .string(text)))
        }
        for (offset, version) in [JSONValue.number(1.0), 0, 1.5, "1", true, 1000, 1001].enumerated() {
            try add("envelope version \(offset)", "envelope.v1.json", envelopeExample.replacing(["version"], with: version))
        }
        for (offset, tag) in ["a", "café", "😀", String(repeating: "x", count: 64), String(repeating: "x", count: 65), " x", "x\ny", "x\n", "x\r\n", "x\u{2028}", "x\r"].enumerated() {
            try add("delivery.requested tag \(offset)", "events/delivery.requested.v1.json",
                envelopeExample["data"]!.replacing(["packageInfo", "tag"], with: .string(tag)))
        }
        return output
    }

    /// Runs the Python script on the documents and returns its exit status and report.
    static func runPython(_ documents: [Document]) throws -> (status: Int32, report: Report?, stderr: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("contracts-crosscheck-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let payload: JSONValue = ["documents": .array(documents.map(\.json))]
        try Data(payload.serialized()).write(to: file)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", RepositoryFiles.root.appendingPathComponent("scripts/contracts_crosscheck.py").path, file.path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let report = try? JSONDecoder().decode(Report.self, from: stdout)
        return (process.terminationStatus, report, String(decoding: stderr, as: UTF8.self))
    }

    @Test("Python jsonschema and the Swift validator agree on every example, sample and invalid document")
    func validatorsAgree() throws {
        let documents = try Self.documents()
        #expect(documents.count > 500)
        #expect(documents.contains { $0.valid } && documents.contains { !$0.valid })
        let (status, report, stderr) = try Self.runPython(documents)
        let parsed = try #require(report, "no report from python3 (exit \(status)): \(stderr)")
        #expect(status == 0, "exit \(status): \(stderr)")
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.schemasChecked == EventType.all.count + 2)
        #expect(parsed.documents == documents.count)
        #expect(parsed.disagreements == 0)
        for (document, result) in zip(documents, parsed.results) {
            #expect(result.name == document.name)
            #expect(result.python == document.valid, "\(document.name): Swift says \(document.valid), Python \(result.errors)")
        }
    }

    @Test("The cross-check reports a disagreement (so it can fail)")
    func disagreementIsReported() throws {
        let liar = Document(name: "a wrong verdict", schema: "envelope.v1.json", instance: ["id": "x"], valid: true)
        let honest = Document(name: "a right verdict", schema: "envelope.v1.json", instance: ["id": "x"], valid: false)
        let (status, report, stderr) = try Self.runPython([liar, honest])
        let parsed = try #require(report, "no report from python3 (exit \(status)): \(stderr)")
        #expect(status == 1)
        #expect(parsed.disagreements == 1)
        #expect(parsed.results.map(\.python) == [false, false])
    }
}
