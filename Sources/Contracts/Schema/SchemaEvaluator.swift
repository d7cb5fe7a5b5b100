import Foundation

/// Walks an instance against the compiled node table and records every violation.
///
/// The path of the current instance location is kept as components and only turned into a JSON
/// pointer when a violation is recorded, so a valid message costs no string building.
struct SchemaEvaluator {
    /// One node per reference, so visiting a node retains one object instead of copying its fields.
    final class NodeBox: Sendable {
        let node: SchemaNode
        init(_ node: SchemaNode) { self.node = node }
    }

    let boxes: [NodeBox]

    init(nodes: [SchemaNode]) { boxes = nodes.map(NodeBox.init) }

    /// The compiled node at `index`.
    func node(_ index: Int) -> SchemaNode { boxes[index].node }

    func evaluate(
        _ index: Int, _ value: JSONValue, _ path: inout [JSONPointer.Component], _ out: inout [SchemaViolation]
    ) {
        let box = boxes[index]
        func report(_ keyword: String, _ message: String) {
            out.append(
                SchemaViolation(
                    instanceLocation: JSONPointer.string(path), keyword: keyword,
                    schemaLocation: box.node.location + "/" + keyword, message: message))
        }

        if box.node.rejectsEverything {
            out.append(
                SchemaViolation(
                    instanceLocation: JSONPointer.string(path), keyword: "false", schemaLocation: box.node.location,
                    message: "no value is allowed here"))
            return
        }
        if let reference = box.node.ref { evaluate(reference, value, &path, &out) }
        if let types = box.node.types, !types.matches(value) {
            report("type", "expected \(types.listing), found \(value.typeName)")
        }
        if let allowed = box.node.enumValues, !allowed.contains(value) {
            report("enum", "value is not one of " + allowed.map(\.jsonText).joined(separator: ", "))
        }
        if let constant = box.node.constValue, constant != value {
            report("const", "value is not the constant \(constant.jsonText)")
        }

        switch value {
        case .number(let number):
            if let minimum = box.node.minimum, number < minimum {
                report("minimum", "number is less than the minimum \(JSONValue.number(minimum).jsonText)")
            }
            if let maximum = box.node.maximum, number > maximum {
                report("maximum", "number is greater than the maximum \(JSONValue.number(maximum).jsonText)")
            }
            if let bound = box.node.exclusiveMinimum, number <= bound {
                report("exclusiveMinimum", "number must be greater than \(JSONValue.number(bound).jsonText)")
            }
            if let bound = box.node.exclusiveMaximum, number >= bound {
                report("exclusiveMaximum", "number must be less than \(JSONValue.number(bound).jsonText)")
            }
        case .string(let string):
            if box.node.minLength != nil || box.node.maxLength != nil {
                // A string has at most as many scalars as UTF-8 bytes and at least a quarter as many,
                // so counting scalars is only needed near a bound.
                let bytes = string.utf8.count
                let surelyShortEnough = box.node.maxLength.map { bytes <= $0 } ?? true
                let surelyLongEnough = box.node.minLength.map { (bytes + 3) / 4 >= $0 } ?? true
                let length = surelyShortEnough && surelyLongEnough ? -1 : string.unicodeScalars.count
                if length >= 0, let minimum = box.node.minLength, length < minimum {
                    report("minLength", "string has \(length) characters, fewer than \(minimum)")
                }
                if length >= 0, let maximum = box.node.maxLength, length > maximum {
                    report("maxLength", "string has \(length) characters, more than \(maximum)")
                }
            }
            if let pattern = box.node.pattern,
                pattern.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) == nil
            {
                report("pattern", "string does not match the pattern \(box.node.patternSource)")
            }
            if let format = box.node.format, !format.matches(string) {
                report("format", "string is not a valid \(format.rawValue)")
            }
        case .array(let elements):
            if let minimum = box.node.minItems, elements.count < minimum {
                report("minItems", "array has \(elements.count) items, fewer than \(minimum)")
            }
            if let maximum = box.node.maxItems, elements.count > maximum {
                report("maxItems", "array has \(elements.count) items, more than \(maximum)")
            }
            if let items = box.node.items {
                for (offset, element) in elements.enumerated() {
                    path.append(.index(offset))
                    evaluate(items, element, &path, &out)
                    path.removeLast()
                }
            }
        case .object(let members):
            for name in box.node.required where JSONText.member(name, of: members) == nil {
                report("required", "missing required property \"\(name)\"")
            }
            for (name, child) in box.node.properties {
                guard let member = JSONText.member(name, of: members) else { continue }
                path.append(.key(name))
                evaluate(child, member, &path, &out)
                path.removeLast()
            }
            if let additional = box.node.additionalProperties {
                // Declared names match code point for code point (a canonically equivalent name is extra).
                var extra = members.keys.filter { name in
                    guard let index = box.node.propertyIndex.index(forKey: name) else { return true }
                    return !JSONText.same(box.node.propertyIndex[index].key, name)
                }
                if extra.count > 1 { extra.sort() }
                for name in extra {
                    path.append(.key(name))
                    switch additional {
                    case .forbidden:
                        out.append(
                            SchemaViolation(
                                instanceLocation: JSONPointer.string(path), keyword: "additionalProperties",
                                schemaLocation: box.node.location + "/additionalProperties",
                                message: "property \"\(name)\" is not allowed"))
                    case .schema(let child):
                        evaluate(child, members[name]!, &path, &out)
                    }
                    path.removeLast()
                }
            }
        case .null, .bool:
            break
        }

        for child in box.node.allOf { evaluate(child, value, &path, &out) }
        if !box.node.anyOf.isEmpty {
            let matched = box.node.anyOf.contains { child in
                var scratch: [SchemaViolation] = []
                evaluate(child, value, &path, &scratch)
                return scratch.isEmpty
            }
            if !matched { report("anyOf", "value matches none of the \(box.node.anyOf.count) anyOf alternatives") }
        }
        if !box.node.oneOf.isEmpty {
            var matches = 0
            for child in box.node.oneOf {
                var scratch: [SchemaViolation] = []
                evaluate(child, value, &path, &scratch)
                if scratch.isEmpty { matches += 1 }
            }
            if matches != 1 {
                report("oneOf", "value matches \(matches) of the \(box.node.oneOf.count) oneOf alternatives, not exactly one")
            }
        }
    }
}
