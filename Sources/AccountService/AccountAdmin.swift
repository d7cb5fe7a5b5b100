package import Foundation
package import Postgres

/// One account as `saga-admin account list` shows it.
package struct AccountRecord: Sendable, Hashable {
    /// The owner id deliveries are requested with.
    package var ownerId: String
    /// Active or suspended.
    package var status: AccountStatus
    /// Deliveries allowed per UTC day.
    package var dailyLimit: Int
    /// Deliveries counted today (UTC).
    package var deliveriesToday: Int
    /// When the account was added.
    package var createdAt: Date
    /// When it last changed.
    package var updatedAt: Date

    /// A record.
    package init(ownerId: String, status: AccountStatus, dailyLimit: Int, deliveriesToday: Int, createdAt: Date, updatedAt: Date) {
        self.ownerId = ownerId
        self.status = status
        self.dailyLimit = dailyLimit
        self.deliveriesToday = deliveriesToday
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Why an account administration request was refused.
package struct AccountAdminError: Error, CustomStringConvertible, Hashable {
    /// What kind of refusal this is. A struct of constants, so codes can be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        package let name: String

        /// The owner id is empty, longer than 64 characters or has characters other than `[A-Za-z0-9._-]`.
        package static let invalidOwnerId = Code(name: "invalidOwnerId")
        /// The daily limit is outside 0…100,000 (the most `account.validated` v1 can carry).
        package static let invalidDailyLimit = Code(name: "invalidDailyLimit")
        /// An account with this owner id exists already.
        package static let accountExists = Code(name: "accountExists")

        package var description: String { name }
    }

    /// What kind of refusal this is.
    package var code: Code
    /// What went wrong, for people.
    package var message: String

    /// A refusal.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}

/// The account operations `saga-admin account` offers. Each runs on `db`, whose `search_path`
/// must be the account service's schema (its migrations applied); each statement commits on its
/// own unless the caller wraps the call in a transaction.
package enum AccountAdmin {
    /// The largest daily limit an account may have.
    package static let maximumDailyLimit = 100_000

    /// Adds an active account; throws `AccountAdminError` for an invalid id or limit, or an existing account.
    package static func add(ownerId: String, dailyLimit: Int, on db: isolated PostgresConnection) throws {
        try validate(ownerId: ownerId)
        try validate(dailyLimit: dailyLimit)
        let inserted = try db.query(
            """
            INSERT INTO accounts (owner_id, status, daily_limit) VALUES ($1, 'active', $2)
            ON CONFLICT (owner_id) DO NOTHING RETURNING owner_id
            """,
            [.text(ownerId), .int(dailyLimit)])
        guard !inserted.isEmpty else {
            throw AccountAdminError(.accountExists, "Account \(ownerId) exists already.")
        }
    }

    /// Suspends an account (its requests are rejected with `ACCOUNT_SUSPENDED`); `false` if there is no such account.
    @discardableResult
    package static func suspend(ownerId: String, on db: isolated PostgresConnection) throws -> Bool {
        try setStatus(.suspended, ownerId: ownerId, db)
    }

    /// Makes an account active again; `false` if there is no such account.
    @discardableResult
    package static func activate(ownerId: String, on db: isolated PostgresConnection) throws -> Bool {
        try setStatus(.active, ownerId: ownerId, db)
    }

    /// Every account with today's (UTC) usage, ordered by owner id (byte order).
    package static func list(on db: isolated PostgresConnection) throws -> [AccountRecord] {
        let rows = try db.query(
            """
            SELECT a.owner_id, a.status, a.daily_limit, COALESCE(u.deliveries, 0) AS deliveries_today,
                   a.created_at, a.updated_at
            FROM accounts a
            LEFT JOIN daily_usage u ON u.owner_id = a.owner_id AND u.day = (now() AT TIME ZONE 'UTC')::date
            ORDER BY a.owner_id COLLATE "C"
            """)
        return try rows.map { row in
            let status = try row.decode(String.self, column: "status")
            guard let parsed = AccountStatus(rawValue: status) else {
                throw PostgresError(.decoding, message: "accounts.status holds an unknown status '\(status)'")
            }
            return AccountRecord(
                ownerId: try row.decode(String.self, column: "owner_id"), status: parsed,
                dailyLimit: try row.decode(Int.self, column: "daily_limit"),
                deliveriesToday: try row.decode(Int.self, column: "deliveries_today"),
                createdAt: try row.decode(Date.self, column: "created_at"),
                updatedAt: try row.decode(Date.self, column: "updated_at"))
        }
    }

    /// Checks an owner id: 1…64 characters of `[A-Za-z0-9._-]`, starting with a letter or digit
    /// (the event schemas' `ownerId`); throws `AccountAdminError` with `.invalidOwnerId`.
    package static func validate(ownerId: String) throws {
        let scalars = ownerId.unicodeScalars
        let allowed = scalars.allSatisfy { $0.isASCII && (isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-") }
        guard (1...64).contains(scalars.count), allowed, let first = scalars.first, isAlphanumeric(first) else {
            throw AccountAdminError(
                .invalidOwnerId,
                "Owner id '\(ownerId.prefix(80))' is invalid: use 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-', starting with a letter or digit.")
        }
    }

    /// Checks a daily limit: 0…100,000 (the most `account.validated` v1 can carry); throws `AccountAdminError` with `.invalidDailyLimit`.
    package static func validate(dailyLimit: Int) throws {
        guard (0...maximumDailyLimit).contains(dailyLimit) else {
            throw AccountAdminError(.invalidDailyLimit, "Daily limit \(dailyLimit) is invalid: use 0 to \(maximumDailyLimit).")
        }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func setStatus(_ status: AccountStatus, ownerId: String, _ db: isolated PostgresConnection) throws -> Bool {
        try validate(ownerId: ownerId)
        let updated = try db.query(
            "UPDATE accounts SET status = $2, updated_at = now() WHERE owner_id = $1 RETURNING owner_id",
            [.text(ownerId), .text(status.rawValue)])
        return !updated.isEmpty
    }
}
