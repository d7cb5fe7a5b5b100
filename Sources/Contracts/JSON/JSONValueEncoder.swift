import Foundation
import UUIDText

/// Encodes an `Encodable` value into a ``JSONValue`` tree, with the event conventions of
/// ``EventCoding`` (dates as RFC 3339 text in UTC with milliseconds); ``JSONValue/serialized()``
/// then prints it compactly with object members sorted. Much cheaper than Foundation's
/// `JSONEncoder` for the small payloads events carry. Non-finite numbers, and integers a JSON
/// number cannot hold exactly, throw `EncodingError.invalidValue`.
public struct JSONValueEncoder: Sendable {
    /// An encoder.
    public init() {}

    /// Encodes `value`.
    public func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
        try TreeEncoder.node(for: value, codingPath: []).resolved
    }
}

/// What an encoder produced: a finished value, or a container still being filled.
private enum Node {
    case value(JSONValue)
    case object(ObjectBox)
    case array(ArrayBox)
    case pending(Slot)

    var resolved: JSONValue {
        switch self {
        case .value(let value): value
        case .object(let box): .object(box.members.mapValues(\.resolved))
        case .array(let box): .array(box.elements.map(\.resolved))
        case .pending(let slot): slot.node?.resolved ?? .object([:])
        }
    }
}

private final class ObjectBox {
    var members: [String: Node] = [:]
}

private final class ArrayBox {
    var elements: [Node] = []
}

/// Where an encoder puts what it encodes.
private final class Slot {
    var node: Node?
}

/// One position in the tree being encoded.
private struct TreeEncoder: Encoder {
    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The node for `value`: dates as RFC 3339 text, UUIDs as upper-case text (as Foundation
    /// encodes them, without its `snprintf`), JSON values as they are, anything else by
    /// its own `encode(to:)` (nothing encoded gives an empty object).
    static func node<Value: Encodable>(for value: Value, codingPath: [any CodingKey]) throws -> Node {
        if let date = value as? Date { return .value(.string(RFC3339.string(from: date))) }
        if let uuid = value as? UUID { return .value(.string(uuid.uppercaseText)) }
        if let json = value as? JSONValue { return .value(json) }
        let slot = Slot()
        try value.encode(to: TreeEncoder(slot: slot, codingPath: codingPath))
        return slot.node ?? .object(ObjectBox())
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: ObjectBox
        if case .object(let existing) = slot.node {
            box = existing
        } else {
            box = ObjectBox()
            slot.node = .object(box)
        }
        return KeyedEncodingContainer(KeyedTreeContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing) = slot.node {
            box = existing
        } else {
            box = ArrayBox()
            slot.node = .array(box)
        }
        return UnkeyedTreeContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }
}

extension TreeEncoder: SingleValueEncodingContainer {
    func encodeNil() throws { slot.node = .value(.null) }
    func encode(_ value: Bool) throws { slot.node = .value(.bool(value)) }
    func encode(_ value: String) throws { slot.node = .value(.string(value)) }
    func encode(_ value: Double) throws { slot.node = .value(try number(value, codingPath)) }
    func encode(_ value: Float) throws { slot.node = .value(try number(Double(value), codingPath)) }
    func encode(_ value: Int) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: Int8) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: Int16) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: Int32) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: Int64) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: UInt) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: UInt8) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: UInt16) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: UInt32) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode(_ value: UInt64) throws { slot.node = .value(try integer(value, codingPath)) }
    func encode<Value: Encodable>(_ value: Value) throws { slot.node = try Self.node(for: value, codingPath: codingPath) }
}

/// The members of an object being encoded.
private struct KeyedTreeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, _ key: Key) { box.members[key.stringValue] = .value(value) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(try number(value, codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(try number(Double(value), codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(try integer(value, codingPath + [key]), key) }

    mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
        box.members[key.stringValue] = try TreeEncoder.node(for: value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.members[key.stringValue] = .object(nested)
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.members[key.stringValue] = .array(nested)
        return UnkeyedTreeContainer(box: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: TreeKey(stringValue: "super")) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key) }

    private func superEncoder(named key: any CodingKey) -> any Encoder {
        let slot = Slot()
        box.members[key.stringValue] = .pending(slot)
        return TreeEncoder(slot: slot, codingPath: codingPath + [key])
    }
}

/// The elements of an array being encoded.
private struct UnkeyedTreeContainer: UnkeyedEncodingContainer {
    let box: ArrayBox
    let codingPath: [any CodingKey]

    var count: Int { box.elements.count }
    private var nextPath: [any CodingKey] { codingPath + [TreeKey(index: count)] }
    private func append(_ value: JSONValue) { box.elements.append(.value(value)) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: Float) throws { append(try number(Double(value), nextPath)) }
    mutating func encode(_ value: Int) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: Int8) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: Int16) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: Int32) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: Int64) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: UInt) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: UInt8) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: UInt16) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: UInt32) throws { append(try integer(value, nextPath)) }
    mutating func encode(_ value: UInt64) throws { append(try integer(value, nextPath)) }

    mutating func encode<Value: Encodable>(_ value: Value) throws {
        box.elements.append(try TreeEncoder.node(for: value, codingPath: nextPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        let path = nextPath
        box.elements.append(.object(nested))
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(box: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        let path = nextPath
        box.elements.append(.array(nested))
        return UnkeyedTreeContainer(box: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let slot = Slot()
        let path = nextPath
        box.elements.append(.pending(slot))
        return TreeEncoder(slot: slot, codingPath: path)
    }
}

/// A finite number; JSON has no NaN or infinity.
private func number(_ value: Double, _ codingPath: [any CodingKey]) throws -> JSONValue {
    guard value.isFinite else {
        throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
    }
    return .number(value)
}

/// An integer a JSON number (a double) holds exactly.
private func integer<Integer: BinaryInteger>(_ value: Integer, _ codingPath: [any CodingKey]) throws -> JSONValue {
    guard let exact = Double(exactly: value) else {
        throw EncodingError.invalidValue(value, .init(
            codingPath: codingPath, debugDescription: "\(value) cannot be held exactly by a JSON number"))
    }
    return .number(exact)
}
