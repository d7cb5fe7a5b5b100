public import Foundation

/// A value in an AMQP field table (message headers, queue and exchange arguments).
public enum AMQPFieldValue: Sendable, Hashable {
    case bool(Bool)
    /// A signed 32-bit integer (AMQP `I`); what RabbitMQ expects for e.g. `x-delivery-limit`.
    case int32(Int32)
    /// A signed 64-bit integer (AMQP `l`); also what smaller integer kinds decode to.
    case int64(Int64)
    case double(Double)
    /// A UTF-8 string (AMQP long string `S`).
    case string(String)
    /// Raw bytes (AMQP `x`).
    case bytes([UInt8])
    /// A timestamp with second precision (AMQP `T`).
    case timestamp(Date)
    case table(AMQPTable)
    case array([AMQPFieldValue])
    /// No value (AMQP `V`).
    case void

    /// The string, if this is a string (or UTF-8 bytes).
    public var stringValue: String? {
        switch self {
        case .string(let value): value
        case .bytes(let value): String(validating: value, as: UTF8.self)
        default: nil
        }
    }

    /// The integer, if this is any integer kind.
    public var intValue: Int64? {
        switch self {
        case .int32(let value): Int64(value)
        case .int64(let value): value
        default: nil
        }
    }
}

/// An AMQP field table: string keys to values. Order is not significant to AMQP.
public typealias AMQPTable = [String: AMQPFieldValue]

extension AMQPFieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
