import Contracts
import Foundation
import Testing

/// `schemas/openapi.yaml`: the ingestion commands, the history queries, health and metrics, and
/// problem documents for every error.
@Suite("OpenAPI document")
struct OpenAPITests {
    let document: JSONValue

    init() throws {
        document = try RepositoryFiles.yaml("openapi.yaml")
    }

    private func resolve(_ value: JSONValue?) -> JSONValue? {
        var current = value
        var hops = 0
        while let reference = current?["$ref"]?.stringValue, reference.hasPrefix("#"), hops < 10 {
            current = JSONPointer.resolve(String(reference.dropFirst()), in: document)
            hops += 1
        }
        return current
    }

    private func operation(_ method: String, _ path: String) throws -> JSONValue {
        try #require(document["paths"]?[path]?[method], "no \(method.uppercased()) \(path)")
    }

    /// The document's schemas compiled with the schema files: `#/components/schemas/X` becomes
    /// `openapi.json#/$defs/X`, relative file references stay as they are.
    private func components() throws -> SchemaSet {
        func rewrite(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(let members):
                return .object(members.mapValues(rewrite).merging(
                    members["$ref"]?.stringValue.flatMap { reference in
                        reference.hasPrefix("#/components/schemas/")
                            ? ["$ref": .string("#/$defs/" + reference.dropFirst("#/components/schemas/".count))] : nil
                    } ?? [:]) { $1 })
            case .array(let elements):
                return .array(elements.map(rewrite))
            default:
                return value
            }
        }
        let schemas = try #require(document["components"]?["schemas"])
        let synthetic: JSONValue = [
            "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": .string(RepositoryFiles.idBase + "openapi.json"),
            "$defs": rewrite(schemas),
        ]
        return try SchemaSet(try RepositoryFiles.currentDocuments() + [SchemaDocument(path: "openapi.json", content: synthetic)])
    }

    /// A response's schema as compiled, from its `$ref` to `#/components/schemas/X`.
    private func compiled(_ schema: JSONValue?, in set: SchemaSet) throws -> JSONSchema {
        let reference = try #require(schema?["$ref"]?.stringValue, "inline schema where a component was expected")
        if reference.hasPrefix("#/components/schemas/") {
            return try #require(set.schema("openapi.json#/$defs/" + reference.dropFirst("#/components/schemas/".count)))
        }
        return try #require(set.schema(String(reference.dropFirst(reference.hasPrefix("./") ? 2 : 0))))
    }

    @Test("It is OpenAPI 3.1 with JSON Schema 2020-12")
    func version() {
        #expect(document["openapi"] == "3.1.0")
        #expect(document["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema")
    }

    @Test("POST /api/deliveries: Idempotency-Key, 202 with the delivery id and status URL, 400/413/422 problems")
    func requestDelivery() throws {
        let post = try operation("post", "/api/deliveries")
        let parameters = (post["parameters"]?.arrayValue ?? []).compactMap(resolve)
        #expect(parameters.contains { $0["name"] == "Idempotency-Key" && $0["in"] == "header" })
        #expect(post["requestBody"]?["required"] == true)
        let accepted = try #require(resolve(post["responses"]?["202"]))
        let acceptedSchema = try #require(resolve(accepted["content"]?["application/json"]?["schema"]))
        #expect(acceptedSchema["required"]?.arrayValue?.contains("deliveryId") == true)
        #expect(acceptedSchema["required"]?.arrayValue?.contains("statusUrl") == true)
        for status in ["400", "413", "422"] { #expect(post["responses"]?[status] != nil, "no \(status)") }
        let problem = try #require(resolve(document["components"]?["schemas"]?["Problem"]))
        #expect(problem["properties"]?["errors"]?["type"] == "array")
    }

    @Test("DELETE /api/deliveries/{id}: 202, 404 for an unknown id")
    func cancelDelivery() throws {
        let delete = try operation("delete", "/api/deliveries/{deliveryId}")
        #expect(delete["responses"]?["202"] != nil)
        #expect(delete["responses"]?["404"] != nil)
    }

    @Test("The history service's status and timeline queries answer 200 or 404")
    func queries() throws {
        for path in ["/api/deliveries/{deliveryId}", "/api/deliveries/{deliveryId}/events"] {
            let get = try operation("get", path)
            #expect(get["responses"]?["200"] != nil)
            #expect(get["responses"]?["404"] != nil)
            #expect(get["servers"]?[0]?["url"] != document["paths"]?["/api/deliveries"]?["post"]?["servers"]?[0]?["url"])
        }
    }

    @Test("Every /api operation needs the bearer API key and declares 401 (POST also 403); health and metrics need none")
    func security() throws {
        let scheme = try #require(document["components"]?["securitySchemes"]?["apiKey"])
        #expect(scheme["type"] == "http" && scheme["scheme"] == "bearer")
        #expect(document["security"] == [["apiKey": []]])
        var checked = 0
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] where method != "parameters" {
                if path.hasPrefix("/api/") {
                    #expect(operation["security"] == nil, "\(method) \(path) overrides the API key requirement")
                    let unauthorized = try #require(resolve(operation["responses"]?["401"]), "\(method) \(path) has no 401")
                    #expect(unauthorized["headers"]?["WWW-Authenticate"] != nil)
                    checked += 1
                } else {
                    #expect(operation["security"] == [], "\(method) \(path) should need no key")
                }
            }
        }
        #expect(checked == 4)
        #expect(resolve(try operation("post", "/api/deliveries")["responses"]?["403"])?["content"] != nil)
    }

    @Test("Health and metrics endpoints exist")
    func operations() throws {
        for path in ["/health/live", "/health/ready", "/metrics"] { _ = try operation("get", path) }
    }

    @Test("Every error response is application/problem+json and nothing else")
    func problemDetails() throws {
        var checked = 0
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] where method != "parameters" {
                for (status, response) in operation["responses"]?.objectValue ?? [:] where status == "default" || status >= "400" {
                    let content = try #require(resolve(response)?["content"]?.objectValue, "\(method) \(path) \(status)")
                    #expect(Array(content.keys) == ["application/problem+json"], "\(method) \(path) \(status)")
                    #expect(content["application/problem+json"]?["schema"]?["$ref"] == "#/components/schemas/Problem")
                    checked += 1
                }
            }
        }
        #expect(checked >= 15)
    }

    @Test("Every example in the document validates against its schema")
    func examplesValidate() throws {
        let set = try components()
        var checked = 0
        func check(_ media: JSONValue?, _ label: String) throws {
            guard let media, let examples = media["examples"]?.objectValue else { return }
            let schema = try compiled(media["schema"], in: set)
            for (name, example) in examples {
                let value = try #require(example["value"])
                let violations = schema.validate(value)
                #expect(violations.isEmpty, "\(label) example \(name): \(violations)")
                checked += 1
            }
        }
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] where method != "parameters" {
                try check(operation["requestBody"]?["content"]?["application/json"], "\(method) \(path) request")
                for (status, response) in operation["responses"]?.objectValue ?? [:] {
                    for media in (resolve(response)?["content"]?.objectValue ?? [:]).values {
                        try check(media, "\(method) \(path) \(status)")
                    }
                }
            }
        }
        #expect(checked >= 10)
        // The request schema is the delivery.requested payload: a broken request is refused field by field.
        let request = try compiled(["$ref": "#/components/schemas/DeliveryRequest"], in: set)
        let example = try #require(try operation("post", "/api/deliveries")["requestBody"]?["content"]?["application/json"]?["examples"]?["standard"]?["value"])
        let broken = example.replacing(["pickupLocation", "latitude"], with: 91).removing(["deadline"]).replacing(["packageInfo", "size"], with: "huge")
        #expect(Set(request.validate(broken).map(\.instanceLocation)) == ["/pickupLocation/latitude", "", "/packageInfo/size"])
    }

    @Test("Every reference to a schema file resolves")
    func fileReferences() throws {
        let set = try components()
        func references(_ value: JSONValue) -> [String] {
            switch value {
            case .object(let members): (members["$ref"]?.stringValue.map { [$0] } ?? []) + members.values.flatMap(references)
            case .array(let elements): elements.flatMap(references)
            default: []
            }
        }
        let files = references(document).filter { !$0.hasPrefix("#") }
        #expect(!files.isEmpty)
        for reference in files {
            let name = reference.hasPrefix("./") ? String(reference.dropFirst(2)) : reference
            #expect(set.schema(name) != nil, "\(reference) resolves to no compiled schema")
        }
    }
}
