public import Foundation

/// RFC 3339 `date-time` (section 5.6): the checker behind `format: date-time` and the text form of
/// every timestamp in the contracts.
///
/// Parsing accepts any offset, `T`/`t` and `Z`/`z`, any number of fractional digits, and a leap
/// second only where it can occur (23:59:60 in UTC). Formatting always writes UTC with three
/// fractional digits (`2026-05-01T09:30:00.000Z`), so timestamps keep millisecond precision.
public enum RFC3339 {
    /// The fields of a parsed `date-time`.
    struct Components {
        var year, month, day, hour, minute, second: Int
        /// Fractional seconds in `0..<1`.
        var fraction: Double
        /// The offset east of UTC, in seconds.
        var offsetSeconds: Int
    }

    /// Whether `text` is a valid RFC 3339 `date-time`.
    public static func isValid(_ text: String) -> Bool { components(text) != nil }

    /// The instant `text` denotes, or `nil` if it is not an RFC 3339 `date-time`.
    public static func date(from text: String) -> Date? {
        guard let parts = components(text) else { return nil }
        let days = daysFromCivil(year: parts.year, month: parts.month, day: parts.day)
        let seconds = days * 86_400 + parts.hour * 3_600 + parts.minute * 60 + parts.second - parts.offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + parts.fraction)
    }

    /// `date` in UTC with millisecond precision, such as `2026-05-01T09:30:00.250Z`.
    public static func string(from date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1_000).rounded())
        let seconds = floorDivide(milliseconds, 1_000)
        let millisecond = Int(milliseconds - seconds * 1_000)
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilFromDays(Int(days))
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3_600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + "." + pad(millisecond, 3) + "Z"
    }

    static func components(_ text: String) -> Components? {
        let utf8 = text.utf8
        return utf8.withContiguousStorageIfAvailable { components(bytes: $0) } ?? components(bytes: Array(utf8))
    }

    private static func components<Bytes: RandomAccessCollection<UInt8>>(bytes: Bytes) -> Components?
    where Bytes.Index == Int {
        let start = bytes.startIndex
        var index = start
        func number(_ count: Int) -> Int? {
            guard bytes.endIndex - index >= count else { return nil }
            var value = 0
            for _ in 0..<count {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
                index += 1
            }
            return value
        }
        func expect(_ characters: UInt8...) -> Bool {
            guard index < bytes.endIndex, characters.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2), expect(UInt8(ascii: "T"), UInt8(ascii: "t")),
            let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), expect(UInt8(ascii: ":")),
            let second = number(2)
        else { return nil }
        var fraction = 0.0
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            var numerator: Int64 = 0
            var denominator: Int64 = 1
            while index < bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if digits < 18 {
                    numerator = numerator * 10 + Int64(bytes[index] - 0x30)
                    denominator *= 10
                }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            fraction = Double(numerator) / Double(denominator)
        }
        var offset = 0
        if expect(UInt8(ascii: "Z"), UInt8(ascii: "z")) {
            offset = 0
        } else if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            guard let offsetHour = number(2), expect(UInt8(ascii: ":")), let offsetMinute = number(2),
                offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offset = sign * (offsetHour * 3_600 + offsetMinute * 60)
        } else {
            return nil
        }
        guard index == bytes.endIndex, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        if second == 60 {
            // A leap second exists only at 23:59:60 UTC.
            let utcMinute = ((hour * 60 + minute - offset / 60) % 1_440 + 1_440) % 1_440
            guard utcMinute == 23 * 60 + 59 else { return nil }
        }
        return Components(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            fraction: fraction, offsetSeconds: offset)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    private static func civilFromDays(_ count: Int) -> (year: Int, month: Int, day: Int) {
        let z = count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
