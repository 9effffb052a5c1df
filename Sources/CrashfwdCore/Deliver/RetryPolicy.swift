import FoundationEssentials

/// The action after one delivery attempt.
public enum DeliveryOutcome: Equatable, Sendable {
    /// 2xx: the server accepted the request.
    case success
    /// A network error, timeout, 408, 429 or 5xx other than 501: try again after a delay.
    case transient
    /// 400, 413, 422, 501 and every other status: the request itself is wrong, so retrying
    /// cannot help.
    case permanent
    /// 401, 403, 404: the URL or key is wrong; keep the report and pause the destination
    /// until an operator fixes the config.
    case endpointRejected
}

/// Classifies responses and computes retry delays (exponential backoff with full jitter).
public struct RetryPolicy: Sendable {
    public var initialBackoff: Double
    public var maximumBackoff: Double
    /// The longest `Retry-After` honoured, in seconds; a longer one is cut to this.
    public static let maximumRetryAfter = 86400.0

    public init(initialBackoff: Double = 1, maximumBackoff: Double = 300) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// Classifies an HTTP status; nil means no response arrived (a transport error).
    ///
    /// Statuses outside 2xx, 4xx and 5xx are permanent because redirects are never followed
    /// and a 1xx never ends a request.
    public static func classify(status: Int?) -> DeliveryOutcome {
        guard let status else { return .transient }
        switch status {
        case 200..<300: return .success
        case 408, 429: return .transient
        case 401, 403, 404: return .endpointRejected
        case 501: return .permanent
        case 500..<600: return .transient
        default: return .permanent
        }
    }

    /// Returns the backoff ceiling before attempt number `attempt + 1` (attempt counts from 1):
    /// `min(maximum, initial * 2^(attempt-1))`.
    public func ceiling(afterAttempt attempt: Int) -> Double {
        let doublings = min(max(attempt - 1, 0), 40)
        return min(maximumBackoff, initialBackoff * Double(UInt64(1) << UInt64(doublings)))
    }

    /// Seconds to wait before attempt number `attempt + 1`: a random delay between 0 and
    /// `ceiling(afterAttempt:)`, added to the server's `Retry-After` when there is one. The
    /// jitter goes on top of `Retry-After`, so devices that all got the same response do not
    /// all come back in the same second.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator)
    }

    public func delay<Generator: RandomNumberGenerator>(
        afterAttempt attempt: Int, retryAfter: Double?, using generator: inout Generator
    ) -> Double {
        let jittered = Double.random(in: 0...ceiling(afterAttempt: attempt), using: &generator)
        guard let retryAfter else { return jittered }
        return retryAfter + jittered
    }

    /// Parses `Retry-After` as seconds or an HTTP date, relative to `now` (Unix seconds).
    /// Returns nil for a missing or unreadable value, and at most `maximumRetryAfter`.
    public static func retryAfterSeconds(_ header: String?, now: Double) -> Double? {
        guard let header = header?.trimmed(), !header.isEmpty else { return nil }
        if let seconds = Double(header), seconds >= 0, seconds.isFinite {
            return min(seconds, maximumRetryAfter)
        }
        guard let date = HTTPDate.parse(header) else { return nil }
        return min(max(0, date - now), maximumRetryAfter)
    }
}

/// Parses the IMF-fixdate form of HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`).
enum HTTPDate {
    static let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Returns Unix seconds, or nil when the text is not an IMF-fixdate. Fields out of
    /// range (a year outside 1..9999, day 32, hour 24) are rejected, so a hostile
    /// `Retry-After` cannot overflow the arithmetic below.
    static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
            let monthIndex = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]),
            (1...31).contains(day), (1...9999).contains(year)
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]),
            (0...60).contains(clock[2])
        else { return nil }
        let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return Double(days * 86400 + clock[0] * 3600 + clock[1] * 60 + clock[2])
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
