/// `account.validated`: the owner's account is active and under its daily limit.
public struct AccountValidated: DomainEvent {
    /// `account.validated`.
    public static let eventType = EventType.accountValidated
    /// Version 1.
    public static let schemaVersion = 1
    /// The account service.
    public static let producer = Producer.account

    /// The validated account.
    public var ownerId: String
    /// The account's deliveries-per-day limit.
    public var dailyLimit: Int
    /// Deliveries counted today, including this one.
    public var deliveriesToday: Int

    /// A validation result.
    public init(ownerId: String, dailyLimit: Int, deliveriesToday: Int) {
        self.ownerId = ownerId
        self.dailyLimit = dailyLimit
        self.deliveriesToday = deliveriesToday
    }

    /// An active account's third delivery of the day.
    public static func sample() -> AccountValidated {
        AccountValidated(ownerId: SampleValues.ownerId, dailyLimit: 50, deliveriesToday: 3)
    }
}

/// `account.rejected`: the owner's account may not request this delivery.
public struct AccountRejected: ReasonCarryingEvent {
    /// Why the account was rejected.
    public enum Code: String, ReasonCode {
        /// No such account.
        case accountUnknown = "ACCOUNT_UNKNOWN"
        /// The account is suspended.
        case accountSuspended = "ACCOUNT_SUSPENDED"
        /// The account reached its daily delivery limit.
        case dailyLimitExceeded = "DAILY_LIMIT_EXCEEDED"
    }

    /// `account.rejected`.
    public static let eventType = EventType.accountRejected
    /// Version 1.
    public static let schemaVersion = 1
    /// The account service.
    public static let producer = Producer.account

    /// The rejected account.
    public var ownerId: String
    /// Why.
    public var reason: Reason<Code>

    /// A rejection.
    public init(ownerId: String, reason: Reason<Code>) {
        self.ownerId = ownerId
        self.reason = reason
    }

    /// A suspended account.
    public static func sample() -> AccountRejected {
        AccountRejected(
            ownerId: "acct-suspended-002", reason: Reason(.accountSuspended, "Account acct-suspended-002 is suspended."))
    }
}
