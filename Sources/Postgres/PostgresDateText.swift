package import Foundation

/// Converts between `Date` and PostgreSQL's ISO text forms of `timestamptz`, `timestamp` and
/// `date`, with microsecond precision and no `DateFormatter` (which is slow and locale-bound).
///
/// Connections are opened with `DateStyle=ISO` and `TimeZone=UTC`, so the server writes
/// `2024-05-01 12:30:45.123456+00`; any other offset is honoured too.
package enum PostgresDateText {
    private static let microsecondsPerDay: Int64 = 86_400_000_000

    /// `2024-05-01 12:30:45.123456+00` (with ` BC` for years before 1).
    package static func timestampText(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (days, microOfDay) = floorDivision(micros, microsecondsPerDay)
        let (year, month, day) = civil(fromDays: days)
        let seconds = microOfDay / 1_000_000
        let fraction = microOfDay % 1_000_000
        var text = padded(year > 0 ? year : 1 - year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
        text += " " + padded(seconds / 3600, 2) + ":" + padded(seconds / 60 % 60, 2) + ":" + padded(seconds % 60, 2)
        if fraction != 0 { text += "." + padded(fraction, 6) }
        text += "+00"
        if year <= 0 { text += " BC" }
        return text
    }

    /// Parses the ISO text of a `timestamptz`, `timestamp` (read as UTC) or `date` (UTC midnight);
    /// `infinity` and `-infinity` become `Date.distantFuture` and `Date.distantPast`.
    package static func date(from bytes: ArraySlice<UInt8>) -> Date? {
        if bytes.elementsEqual("infinity".utf8) { return .distantFuture }
        if bytes.elementsEqual("-infinity".utf8) { return .distantPast }
        var reader = Reader(bytes: bytes)
        guard var year = reader.number(minimumDigits: 4), reader.skip("-"),
              let month = reader.number(exactDigits: 2), reader.skip("-"),
              let day = reader.number(exactDigits: 2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var microOfDay: Int64 = 0
        if reader.skip(" ") || reader.skip("T") {
            guard let hour = reader.number(exactDigits: 2), reader.skip(":"),
                  let minute = reader.number(exactDigits: 2), reader.skip(":"),
                  let second = reader.number(exactDigits: 2)
            else { return nil }
            var fraction: Int64 = 0
            if reader.skip(".") {
                var digits = 0
                while let digit = reader.digit() {
                    if digits < 6 { fraction = fraction * 10 + digit }
                    digits += 1
                }
                guard digits > 0 else { return nil }
                for _ in digits..<max(digits, 6) { fraction *= 10 }
            }
            microOfDay = ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction
            if let sign = reader.sign() {
                guard let offsetHours = reader.number(exactDigits: 2) else { return nil }
                var offsetSeconds = offsetHours * 3600
                if reader.skip(":") {
                    guard let minutes = reader.number(exactDigits: 2) else { return nil }
                    offsetSeconds += minutes * 60
                    if reader.skip(":") {
                        guard let seconds = reader.number(exactDigits: 2) else { return nil }
                        offsetSeconds += seconds
                    }
                }
                microOfDay -= sign * offsetSeconds * 1_000_000
            }
        }
        if reader.skip(" BC") { year = 1 - year }
        guard reader.isAtEnd else { return nil }
        let micros = days(fromCivil: year, month, day) * microsecondsPerDay + microOfDay
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// A cursor over ASCII bytes.
    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        var isAtEnd: Bool { index == bytes.endIndex }

        mutating func digit() -> Int64? {
            guard index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int64(bytes[index] - UInt8(ascii: "0"))
        }

        mutating func number(exactDigits count: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func number(minimumDigits count: Int) -> Int64? {
            var value: Int64 = 0
            var digits = 0
            while digits < 9, let digit = digit() {
                value = value * 10 + digit
                digits += 1
            }
            return digits >= count ? value : nil
        }

        mutating func sign() -> Int64? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }

        mutating func skip(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.endIndex - index >= count else { return false }
            let matches = literal.withUTF8Buffer { literal in
                bytes[index..<(index + count)].elementsEqual(literal)
            }
            if matches { index += count }
            return matches
        }
    }
}
