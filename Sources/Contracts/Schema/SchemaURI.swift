import Foundation

/// URI-reference resolution (RFC 3986, section 5) for `$id` and `$ref`: enough for absolute
/// `https:`/`file:` bases, relative paths with dot segments, and fragments.
package enum SchemaURI {
    /// The URI without its fragment, and the fragment (without `#`) if there is one.
    package static func split(_ uri: String) -> (resource: String, fragment: String?) {
        guard let hash = uri.firstIndex(of: "#") else { return (uri, nil) }
        return (String(uri[..<hash]), String(uri[uri.index(after: hash)...]))
    }

    /// The fragment of `uri` percent-decoded (a JSON pointer; "" when there is none), or nil when a
    /// percent-escape in it is malformed (`%zz`), which must not silently point at the root.
    package static func fragmentPointer(of uri: String) -> String? {
        guard let fragment = split(uri).fragment else { return "" }
        return fragment.removingPercentEncoding
    }

    /// Whether `uri` starts with a scheme (`https:`, `file:`, `urn:`).
    package static func hasScheme(_ uri: String) -> Bool {
        guard let colon = uri.firstIndex(of: ":"), let first = uri.first, first.isASCII, first.isLetter else {
            return false
        }
        return uri[..<colon].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// `reference` resolved against the absolute URI `base`.
    package static func resolve(_ reference: String, against base: String) -> String {
        let (referenceResource, fragment) = split(reference)
        let suffix = fragment.map { "#" + $0 } ?? ""
        if hasScheme(referenceResource) {
            return normalizedPathURI(referenceResource) + suffix
        }
        let baseResource = split(base).resource
        if referenceResource.isEmpty { return baseResource + suffix }
        guard let colon = baseResource.firstIndex(of: ":") else { return referenceResource + suffix }
        let scheme = String(baseResource[...colon])
        var rest = baseResource[baseResource.index(after: colon)...]
        var authority = ""
        if rest.hasPrefix("//") {
            let afterSlashes = rest.index(rest.startIndex, offsetBy: 2)
            let end = rest[afterSlashes...].firstIndex(of: "/") ?? rest.endIndex
            authority = "//" + String(rest[afterSlashes..<end])
            rest = rest[end...]
        }
        var basePath = String(rest)
        if let query = basePath.firstIndex(of: "?") { basePath = String(basePath[..<query]) }
        if referenceResource.hasPrefix("//") { return scheme + normalizedPathURI(referenceResource) + suffix }
        let mergedPath: String
        if referenceResource.hasPrefix("/") {
            mergedPath = referenceResource
        } else if let slash = basePath.lastIndex(of: "/") {
            mergedPath = String(basePath[...slash]) + referenceResource
        } else {
            mergedPath = (authority.isEmpty ? "" : "/") + referenceResource
        }
        return scheme + authority + removeDotSegments(mergedPath) + suffix
    }

    private static func normalizedPathURI(_ uri: String) -> String {
        guard let colon = uri.firstIndex(of: ":") else { return uri }
        var rest = uri[uri.index(after: colon)...]
        var authority = ""
        if rest.hasPrefix("//") {
            let afterSlashes = rest.index(rest.startIndex, offsetBy: 2)
            let end = rest[afterSlashes...].firstIndex(of: "/") ?? rest.endIndex
            authority = "//" + String(rest[afterSlashes..<end])
            rest = rest[end...]
        }
        return String(uri[...colon]) + authority + removeDotSegments(String(rest))
    }

    /// RFC 3986 section 5.2.4 on a path.
    static func removeDotSegments(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (offset, segment) in segments.enumerated() {
            if offset == 0 && absolute { continue }
            let isLast = offset == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return (absolute ? "/" : "") + output.joined(separator: "/")
    }
}
