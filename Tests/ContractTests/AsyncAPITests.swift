import Contracts
import Foundation
import Testing

/// `schemas/asyncapi.yaml`: the exchange, a channel per routing key, who sends and who receives,
/// the headers, and every message's payload pointing at the schema files.
@Suite("AsyncAPI document")
struct AsyncAPITests {
    let document: JSONValue
    let channels: [String: JSONValue]
    let operations: [String: JSONValue]
    let messages: [String: JSONValue]

    init() throws {
        document = try RepositoryFiles.yaml("asyncapi.yaml")
        channels = document["channels"]?.objectValue ?? [:]
        operations = document["operations"]?.objectValue ?? [:]
        messages = document["components"]?["messages"]?.objectValue ?? [:]
    }

    /// The value a local `$ref` (`#/...`) designates, following `$ref` chains.
    private func resolve(_ value: JSONValue?) -> JSONValue? {
        var current = value
        var hops = 0
        while let reference = current?["$ref"]?.stringValue, reference.hasPrefix("#"), hops < 10 {
            current = JSONPointer.resolve(String(reference.dropFirst()), in: document)
            hops += 1
        }
        return current
    }

    /// The channel name whose address is `type`.
    private func channelName(_ type: EventType) -> String? {
        channels.first { $0.value["address"]?.stringValue == type.rawValue }?.key
    }

    /// Every `$ref` string inside a value.
    private func references(in value: JSONValue) -> [String] {
        switch value {
        case .object(let members):
            return (members["$ref"]?.stringValue.map { [$0] } ?? []) + members.values.flatMap(references(in:))
        case .array(let elements):
            return elements.flatMap(references(in:))
        default:
            return []
        }
    }

    @Test("It is AsyncAPI 3.0.0 over AMQP 0-9-1")
    func header() {
        #expect(document["asyncapi"] == "3.0.0")
        #expect(document["info"]?["title"]?.stringValue?.isEmpty == false)
        #expect(document["servers"]?.objectValue?.values.allSatisfy { $0["protocol"] == "amqp" } == true)
        #expect(document["defaultContentType"]?.stringValue == EventExchange.contentType)
    }

    @Test("One channel per routing key, bound to the durable topic exchange", arguments: EventType.all)
    func channel(type: EventType) throws {
        let name = try #require(channelName(type), "no channel with address \(type)")
        let binding = try #require(resolve(channels[name]?["bindings"])?["amqp"])
        #expect(binding["is"] == "routingKey")
        #expect(binding["exchange"]?["name"]?.stringValue == EventExchange.name)
        #expect(binding["exchange"]?["type"]?.stringValue == EventExchange.kind)
        #expect(binding["exchange"]?["durable"] == true)
        #expect(channels.count == EventType.all.count)
    }

    @Test("Each event is sent by exactly its producer and received by history and its consumers", arguments: EventType.all)
    func sendersAndReceivers(type: EventType) throws {
        let payloadType = try #require(EventCatalog.payloadType(for: type))
        let name = try #require(channelName(type))
        let onChannel = operations.values.filter { $0["channel"]?["$ref"]?.stringValue == "#/channels/\(name)" }
        let senders = onChannel.filter { $0["action"] == "send" }.compactMap { $0["x-service"]?.stringValue }
        let receivers = onChannel.filter { $0["action"] == "receive" }.compactMap { $0["x-service"]?.stringValue }
        #expect(senders == [payloadType.producer.rawValue])
        #expect(receivers.contains(Producer.history.rawValue))
        #expect(receivers.count >= 1)
        #expect(Set(receivers).count == receivers.count, "a service receives \(type) twice")
        #expect(!receivers.contains(payloadType.producer.rawValue), "\(type) is received by its own producer")
        for operation in onChannel {
            let service = try #require(operation["x-service"]?.stringValue)
            #expect(Producer.all.map(\.rawValue).contains(service))
            #expect(operation["tags"]?.arrayValue?.contains(["name": .string(service)]) == true)
            let messageRefs = (operation["messages"]?.arrayValue ?? []).compactMap { $0["$ref"]?.stringValue }
            #expect(messageRefs.count == 1)
            #expect(messageRefs.allSatisfy { resolve(["$ref": .string($0)]) != nil })
        }
        let message = try #require(resolve(channels[name]?["messages"]?.objectValue?.values.first))
        #expect(message["x-producer"]?.stringValue == payloadType.producer.rawValue)
        #expect(Set((message["x-consumers"]?.arrayValue ?? []).compactMap(\.stringValue)) == Set(receivers))
        // The catalogue in Contracts says the same (history takes every event by pattern).
        #expect(Set(receivers) == Set(EventCatalog.consumers(of: type).map(\.rawValue) + [Producer.history.rawValue]))
    }

    @Test("Each message's payload is the envelope with its type, version and producer, and data referring to its schema file",
        arguments: EventType.all)
    func messagePayload(type: EventType) throws {
        let payloadType = try #require(EventCatalog.payloadType(for: type))
        let name = try #require(channelName(type))
        let message = try #require(resolve(channels[name]?["messages"]?.objectValue?.values.first))
        #expect(message["name"]?.stringValue == type.rawValue)
        #expect(message["bindings"]?["amqp"]?["messageType"]?.stringValue == type.rawValue)
        let payload = try #require(message["payload"])
        #expect(payload["schemaFormat"] == "application/schema+json;version=draft-2020-12")
        let schema = try #require(payload["schema"])
        let files = references(in: schema).filter { !$0.hasPrefix("#") }
        #expect(files.sorted() == ["./envelope.v1.json", "./" + type.schemaPath(version: 1)].sorted())
        for file in files {
            #expect(FileManager.default.fileExists(atPath: RepositoryFiles.schemas.appendingPathComponent(file).path), "\(file)")
        }
        // The payload schema itself, compiled beside the schema files, accepts the event's examples
        // in a correct envelope and refuses them under another type or producer.
        var documents = try RepositoryFiles.currentDocuments()
        let asSchema = JSONValue.object((schema.objectValue ?? [:]).merging(["$id": .string(RepositoryFiles.idBase + "asyncapi." + type.rawValue + ".json")]) { $1 })
        documents.append(SchemaDocument(path: "asyncapi." + type.rawValue + ".json", content: asSchema))
        let compiled = try #require(try SchemaSet(documents).schema("asyncapi." + type.rawValue + ".json"))
        let example = try #require(documents.first { $0.path == type.schemaPath(version: 1) }?.content["examples"]?[0])
        #expect(compiled.validate(envelope(type: type, producer: payloadType.producer, data: example)).isEmpty)
        let other = EventType.all.first { $0 != type }!
        #expect(!compiled.isValid(envelope(type: other, producer: payloadType.producer, data: example)))
        #expect(!compiled.isValid(envelope(type: type, producer: .history, data: example)))
    }

    @Test("Every schema file is reached from the AsyncAPI document, directly or through $refs")
    func everySchemaReferenced() throws {
        let documents = try RepositoryFiles.currentDocuments()
        let byPath = Dictionary(uniqueKeysWithValues: documents.map { ($0.path, $0) })
        var reached: Set<String> = []
        var pending = references(in: document).filter { !$0.hasPrefix("#") }.map { SchemaURI.split($0).resource }
            .map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 }
        while let path = pending.popLast() {
            guard reached.insert(path).inserted else { continue }
            let file = try #require(byPath[path], "AsyncAPI refers to a missing file \(path)")
            let base = file.id ?? "file:///" + path
            for reference in references(in: file.content) where !reference.hasPrefix("#") {
                let target = SchemaURI.split(SchemaURI.resolve(reference, against: base)).resource
                pending.append(String(target.dropFirst(RepositoryFiles.idBase.count)))
            }
        }
        #expect(reached == Set(documents.map(\.path)))
    }

    @Test("The message headers name the message id, correlation id, causation id, producer, schema version and traceparent")
    func headers() throws {
        let trait = try #require(resolve(document["components"]?["messageTraits"]?["event"]))
        let headers = try #require(resolve(trait["headers"]))
        let names = Set((headers["properties"]?.objectValue ?? [:]).keys)
        let expected: Set<String> = [
            "message_id", "correlation_id", EventExchange.Header.causationId, EventExchange.Header.producer,
            EventExchange.Header.schemaVersion, EventExchange.Header.traceparent,
        ]
        #expect(names.isSuperset(of: expected), "missing \(expected.subtracting(names))")
        #expect(resolve(trait["correlationId"])?["location"] == "$message.header#/correlation_id")
        for message in messages.values {
            #expect(message["traits"]?.arrayValue?.contains(["$ref": "#/components/messageTraits/event"]) == true)
        }
        #expect(messages.count == EventType.all.count)
    }
}
