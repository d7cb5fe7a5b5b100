package import Contracts

/// Whether an account may request deliveries.
package enum AccountStatus: String, Sendable, Hashable, CaseIterable {
    /// Requests are validated against the daily limit.
    case active
    /// Every request is rejected with `ACCOUNT_SUSPENDED`.
    case suspended
}

/// What the account rules look at: the account's status, its limit and today's usage so far.
package struct AccountStanding: Sendable, Hashable {
    /// Active or suspended.
    package var status: AccountStatus
    /// Deliveries allowed per UTC day.
    package var dailyLimit: Int
    /// Deliveries already counted today (not including the one being decided).
    package var deliveriesToday: Int

    /// A standing.
    package init(status: AccountStatus, dailyLimit: Int, deliveriesToday: Int) {
        self.status = status
        self.dailyLimit = dailyLimit
        self.deliveriesToday = deliveriesToday
    }
}

/// The account service's domain rule, without I/O: may this owner request one more delivery today?
package enum AccountRules {
    /// The message of a rejection the fault injection forces.
    package static let injectedFaultMessage = "injected fault (FAULT_FORWARD_FAILURE_PROBABILITY)"

    /// `nil` when one more delivery is allowed; otherwise why not. `standing` is `nil` for an
    /// unknown owner. Checked in order: unknown, suspended, daily limit reached.
    package static func check(_ standing: AccountStanding?) -> AccountRejected.Code? {
        guard let standing else { return .accountUnknown }
        if standing.status == .suspended { return .accountSuspended }
        if standing.deliveriesToday >= standing.dailyLimit { return .dailyLimitExceeded }
        return nil
    }

    /// A human-readable message for a rejection of `ownerId`.
    package static func message(for code: AccountRejected.Code, ownerId: String, dailyLimit: Int?) -> String {
        switch code {
        case .accountUnknown:
            "Account \(ownerId) is unknown."
        case .accountSuspended:
            "Account \(ownerId) is suspended."
        case .dailyLimitExceeded:
            if let dailyLimit {
                "Account \(ownerId) reached its daily limit of \(dailyLimit) \(dailyLimit == 1 ? "delivery" : "deliveries")."
            } else {
                "Account \(ownerId) reached its daily delivery limit."
            }
        }
    }
}
