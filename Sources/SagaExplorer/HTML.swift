import Foundation

/// Text made safe for HTML: every page and SVG of the explorer builds its markup from literal
/// tags and values passed through ``escape(_:)``.
package enum HTML {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities (safe in element content and
    /// in quoted attribute values).
    package static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A query string from name/value pairs, each percent-encoded (then HTML-escaped by the caller
    /// like any other attribute value).
    package static func query(_ items: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let pairs = items.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }

    /// A whole page: the shared head, style and navigation around `body` (already escaped markup).
    package static func document(title: String, current: String, body: String, script: String? = nil) -> String {
        let navigation = [("/", "Sagas"), ("/stats", "Stats"), ("/parked", "Parked")].map { path, label in
            path == current ? "<a href=\"\(path)\" aria-current=\"page\">\(label)</a>" : "<a href=\"\(path)\">\(label)</a>"
        }.joined(separator: " ")
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · saga explorer</title>
            <style>\(style)</style>
            </head>
            <body>
            <header><nav aria-label="Main"><strong>saga explorer</strong> \(navigation)</nav></header>
            <main>
            \(body)
            </main>
            \(script.map { "<script>\($0)</script>" } ?? "")
            </body>
            </html>

            """
    }

    /// The one style sheet, inline (no build step, no second request).
    static let style = """
        body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
        header{background:#23395d;color:#fff;padding:.6rem 1rem}header a{color:#fff;margin-left:1rem}
        header a[aria-current]{text-decoration:underline;font-weight:bold}
        main{padding:1rem;max-width:1200px}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
        code,.id{font-family:ui-monospace,monospace;font-size:.9em}
        .verdict{display:inline-block;padding:.1rem .4rem;border-radius:.3rem;background:#e6e6e6}
        .verdict-completed{background:#d6f5d6}.verdict-compensated,.verdict-cancelled,.verdict-rejected{background:#fff1c2}
        .verdict-stuck,.verdict-inconsistent{background:#ffd4d4}.verdict-inFlight,.verdict-inflight{background:#d6e8ff}
        .counts{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0}
        .counts a{display:block;padding:.3rem .6rem;background:#fff;border:1px solid #ccc;border-radius:.3rem;text-decoration:none;color:inherit}
        form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:1rem 0}
        form.filters label{display:flex;flex-direction:column;font-size:.85em}
        figure{margin:1rem 0;background:#fff;border:1px solid #ddd;padding:.5rem;overflow-x:auto}
        .compensation{color:#a33}
        .note{color:#555;font-size:.9em}
        """
}
