import AccountService
import Contracts
import Testing

/// The account rule and the admin input checks, without I/O.
@Suite("Account rules and admin input checks")
struct AccountRulesTests {
    @Test("an unknown owner is ACCOUNT_UNKNOWN")
    func unknownOwner() {
        #expect(AccountRules.check(nil) == .accountUnknown)
    }

    @Test("a suspended account is ACCOUNT_SUSPENDED, even under or at its limit")
    func suspendedAccount() {
        #expect(AccountRules.check(AccountStanding(status: .suspended, dailyLimit: 10, deliveriesToday: 0)) == .accountSuspended)
        #expect(AccountRules.check(AccountStanding(status: .suspended, dailyLimit: 3, deliveriesToday: 3)) == .accountSuspended)
    }

    @Test("an active account is validated below its limit and DAILY_LIMIT_EXCEEDED at or above it")
    func dailyLimit() {
        #expect(AccountRules.check(AccountStanding(status: .active, dailyLimit: 3, deliveriesToday: 0)) == nil)
        #expect(AccountRules.check(AccountStanding(status: .active, dailyLimit: 3, deliveriesToday: 2)) == nil)
        #expect(AccountRules.check(AccountStanding(status: .active, dailyLimit: 3, deliveriesToday: 3)) == .dailyLimitExceeded)
        #expect(AccountRules.check(AccountStanding(status: .active, dailyLimit: 3, deliveriesToday: 7)) == .dailyLimitExceeded)
        #expect(AccountRules.check(AccountStanding(status: .active, dailyLimit: 0, deliveriesToday: 0)) == .dailyLimitExceeded)
    }

    @Test("rejection messages name the account and the limit")
    func messages() {
        #expect(AccountRules.message(for: .accountSuspended, ownerId: "acct-suspended-002", dailyLimit: 5)
            == "Account acct-suspended-002 is suspended.")
        #expect(AccountRules.message(for: .accountUnknown, ownerId: "nobody", dailyLimit: nil) == "Account nobody is unknown.")
        #expect(AccountRules.message(for: .dailyLimitExceeded, ownerId: "a", dailyLimit: 3)
            == "Account a reached its daily limit of 3 deliveries.")
        #expect(AccountRules.message(for: .dailyLimitExceeded, ownerId: "a", dailyLimit: 1)
            == "Account a reached its daily limit of 1 delivery.")
    }

    @Test("owner ids: 1 to 64 characters of [A-Za-z0-9._-], starting with a letter or digit")
    func ownerIds() throws {
        for valid in ["a", "acct-active-001", "Team.alpha_2", String(repeating: "x", count: 64)] {
            try AccountAdmin.validate(ownerId: valid)
        }
        for invalid in ["", String(repeating: "x", count: 65), "has space", "-leading", ".dot", "semi;colon", "café", "a\n"] {
            let error = try #require(throws: AccountAdminError.self) { try AccountAdmin.validate(ownerId: invalid) }
            #expect(error.code == .invalidOwnerId)
        }
    }

    @Test("daily limits: 0 to 1,000,000")
    func dailyLimits() throws {
        for valid in [0, 1, 3, 100_000] { try AccountAdmin.validate(dailyLimit: valid) }
        for invalid in [-1, 100_001, Int.max] {
            let error = try #require(throws: AccountAdminError.self) { try AccountAdmin.validate(dailyLimit: invalid) }
            #expect(error.code == .invalidDailyLimit)
        }
    }
}
