/// JSON pointers (RFC 6901): building them from path components and splitting them back.
public enum JSONPointer {
    /// One step into a JSON document: an object member or an array index.
    public enum Component: Sendable, Hashable {
        /// An object member.
        case key(String)
        /// An array element.
        case index(Int)
    }

    /// The pointer text for a path, escaping `~` as `~0` and `/` as `~1`; `""` for the root.
    public static func string(_ path: [Component]) -> String {
        var text = ""
        for component in path {
            text += "/"
            switch component {
            case .key(let key): text += escape(key)
            case .index(let index): text += String(index)
            }
        }
        return text
    }

    /// Escapes one reference token.
    public static func escape(_ token: String) -> String {
        guard token.contains("~") || token.contains("/") else { return token }
        return token.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    /// The unescaped reference tokens of a pointer, or `nil` if it is not a pointer (it must be
    /// empty or start with `/`).
    public static func tokens(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacing("~1", with: "/").replacing("~0", with: "~")
        }
    }

    /// The value a pointer designates inside a document, or `nil` if there is none.
    public static func resolve(_ pointer: String, in document: JSONValue) -> JSONValue? {
        guard let tokens = tokens(pointer) else { return nil }
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Int(token), elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}
