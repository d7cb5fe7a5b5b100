import Contracts
import Foundation

/// Whether two JSON values mean the same to a consumer: equal, except that two RFC 3339 strings
/// denoting the same instant, or two UUID strings differing only in case, count as equal.
func sameMeaning(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.string(let a), .string(let b)):
        if a == b { return true }
        if let first = RFC3339.date(from: a), let second = RFC3339.date(from: b) { return first == second }
        if let first = UUID(uuidString: a), let second = UUID(uuidString: b) { return first == second }
        return false
    case (.object(let a), .object(let b)):
        return a.keys.sorted() == b.keys.sorted() && a.allSatisfy { key, value in sameMeaning(value, b[key]!) }
    case (.array(let a), .array(let b)):
        return a.count == b.count && zip(a, b).allSatisfy { sameMeaning($0, $1) }
    default:
        return lhs == rhs
    }
}
