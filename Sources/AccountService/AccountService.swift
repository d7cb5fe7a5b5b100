package import Choreography
import Contracts
import Foundation
import Logging
import Postgres
import UUIDText

/// The account service: on `delivery.requested` it checks the owner's account (known, active,
/// under its daily limit), counts the delivery and emits `account.validated`, or emits
/// `account.rejected` (`ACCOUNT_UNKNOWN`, `ACCOUNT_SUSPENDED`, `DAILY_LIMIT_EXCEEDED`). A saga
/// that then fails or is cancelled (`package.rejected`, `drone.allocation-failed`,
/// `delivery.scheduling-failed`, `delivery.cancelled`) gives the count back, once.
///
/// Tables (schema `account`): `accounts`, `daily_usage` (per owner and UTC day) and `decisions`
/// (one per delivery, so a republished request decides nothing twice and counts nothing twice).
package enum AccountService {
    /// The service's definition for queue prefix `name` and schema `schema` (tests use unique ones).
    package static func definition(
        name: String = "account", schema: String = "account", settings: AccountSettings = AccountSettings()
    ) throws -> ServiceDefinition {
        var definition = ServiceDefinition(name: name, schema: try SQLIdentifier(schema), migrations: try migrations())
        // One event per transaction (the default): a decision locks its owner's usage row, and an
        // ending event finds its owner only by reading, so transactions of several events could
        // lock two busy owners in opposite orders and deadlock.
        definition.on(DeliveryRequested.self) { request, _, context, db in
            try AccountValidation.decide(request, context: &context, db: db)
        }
        // A saga that ends without completing gives the owner's daily usage back.
        definition.on(AccountUsage.endingEvents) { received, context, db in
            try AccountUsage.giveBack(endedBy: received.type, context: &context, db)
        }
        return definition
    }

    /// The service's migrations, from its `Migrations` resource folder.
    package static func migrations() throws -> [Migration] {
        try Migration.load(from: .module)
    }
}

/// Settings of the account service, read through ``ServiceSettings``.
///
/// No keys of its own: accounts, statuses and limits live in the `accounts` table (seeded by a
/// migration, changed with `saga-admin account`). The runtime's keys (`ACCOUNT_DATABASE_URL`,
/// `AMQP_URL`, `FAULT_FORWARD_FAILURE_PROBABILITY`, …) are read by `ChoreographyConfiguration`.
package struct AccountSettings: Sendable {
    /// The settings (there are none to choose yet).
    package init() {}

    /// Reads the settings from `settings` (no keys yet; never throws today, but may when keys are added).
    package init(reading settings: ServiceSettings) throws(SettingError) {
        self.init()
    }
}

/// The `delivery.requested` handler: decide, record the decision, count the delivery, emit.
enum AccountValidation {
    /// A decision taken for one delivery.
    private enum Decision {
        case validated(dailyLimit: Int)
        case rejected(AccountRejected.Code, message: String)

        /// `decisions.outcome`.
        var outcome: String {
            switch self {
            case .validated: "validated"
            case .rejected: "rejected"
            }
        }

        /// `decisions.reason_code`.
        var reasonCode: String? {
            switch self {
            case .validated: nil
            case .rejected(let code, _): code.rawValue
            }
        }
    }

    /// Decides `request` once per delivery: claims the delivery in `decisions`, counts it in
    /// `daily_usage` when validated, and emits the decision.
    static func decide(_ request: DeliveryRequested, context: inout HandlerContext, db: isolated PostgresConnection) throws {
        try AccountUsage.lockDelivery(context.deliveryId, db)
        let owner = request.ownerId
        let (standing, ended) = try standing(of: owner, delivery: context.deliveryId, db)
        let decision: Decision
        if context.forwardStepShouldFail {
            decision = .rejected(.dailyLimitExceeded, message: AccountRules.injectedFaultMessage)
        } else if let standing, AccountRules.check(standing) == nil {
            decision = .validated(dailyLimit: standing.dailyLimit)
        } else {
            let code = AccountRules.check(standing) ?? .accountUnknown
            decision = .rejected(code, message: AccountRules.message(for: code, ownerId: owner, dailyLimit: standing?.dailyLimit))
        }

        // Claim the delivery first: a concurrent request for the same delivery waits here for
        // this transaction and then finds the decision; a later one finds it at once.
        let claimed = try db.query(
            """
            INSERT INTO decisions (delivery_id, owner_id, outcome, reason_code) VALUES ($1, $2, $3, $4)
            ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id
            """,
            [.uuid(context.deliveryId), .text(owner), .text(decision.outcome), .text(decision.reasonCode)])
        guard !claimed.isEmpty else {
            context.logger.info("delivery already decided; nothing to do", metadata: ["account.owner": "\(owner)"])
            return
        }

        switch decision {
        case .rejected(let code, let message):
            context.logger.info("account rejected", metadata: ["account.owner": "\(owner)", "reason.code": "\(code.rawValue)"])
            try context.emit(AccountRejected(ownerId: owner, reason: Reason(code, message)))
        case .validated(let dailyLimit):
            if ended {
                // The saga already failed or was cancelled: decided, but nothing is counted, so
                // there is no usage "including this one" to announce (and none may be 0): nothing
                // is emitted; no other service waits for the account of an ended saga.
                context.logger.info("account valid for an ended delivery; not counted, nothing emitted", metadata: ["account.owner": "\(owner)"])
                return
            }
            guard let deliveriesToday = try countDelivery(of: owner, context.deliveryId, db) else {
                // Concurrent requests used up the limit between the check and the count.
                let code = AccountRejected.Code.dailyLimitExceeded
                try db.execute(
                    "UPDATE decisions SET outcome = 'rejected', reason_code = $2 WHERE delivery_id = $1",
                    [.uuid(context.deliveryId), .text(code.rawValue)])
                context.logger.info("account rejected", metadata: ["account.owner": "\(owner)", "reason.code": "\(code.rawValue)"])
                try context.emit(AccountRejected(
                    ownerId: owner, reason: Reason(code, AccountRules.message(for: code, ownerId: owner, dailyLimit: dailyLimit))))
                return
            }
            context.logger.info("account validated", metadata: ["account.owner": "\(owner)", "account.deliveries_today": "\(deliveriesToday)"])
            try context.emit(AccountValidated(
                ownerId: owner, dailyLimit: dailyLimit, deliveriesToday: deliveriesToday))
        }
    }

    /// The owner's account and today's (UTC) usage, or `nil` for an unknown owner.
    private static func standing(
        of owner: String, delivery deliveryId: UUID, _ db: isolated PostgresConnection
    ) throws -> (standing: AccountStanding?, ended: Bool) {
        // One row whatever the owner: the account (if any) and whether the saga already ended.
        let rows = try db.query(
            """
            SELECT a.status, a.daily_limit, COALESCE(u.deliveries, 0) AS deliveries_today,
                   EXISTS (SELECT 1 FROM ended_deliveries WHERE delivery_id = $2) AS ended
            FROM (SELECT 1) AS one
            LEFT JOIN accounts a ON a.owner_id = $1
            LEFT JOIN daily_usage u ON u.owner_id = a.owner_id AND u.day = (now() AT TIME ZONE 'UTC')::date
            """,
            [.text(owner), .uuid(deliveryId)])
        guard let row = rows.first else { throw PostgresError(.decoding, message: "the standing query returned no row") }
        let ended = try row.decode(Bool.self, column: "ended")
        guard let status = try row.decode(String?.self, column: "status") else { return (nil, ended) }
        guard let parsed = AccountStatus(rawValue: status) else {
            throw PostgresError(.decoding, message: "accounts.status holds an unknown status '\(status)'")
        }
        let standing = AccountStanding(
            status: parsed, dailyLimit: try row.decode(Int.self, column: "daily_limit"),
            deliveriesToday: try row.decode(Int.self, column: "deliveries_today"))
        return (standing, ended)
    }

    /// Counts one delivery for today (UTC) if the limit allows it, in one statement: the row lock
    /// of `ON CONFLICT DO UPDATE` serialises concurrent requests of one owner, and the limit is
    /// checked against the latest count. Returns the new count, or `nil` when the limit is reached.
    /// The same statement keeps the day counted on the delivery's decision, so that it can be given back.
    private static func countDelivery(of owner: String, _ deliveryId: UUID, _ db: isolated PostgresConnection) throws -> Int? {
        let rows = try db.query(
            """
            WITH counted AS (
                INSERT INTO daily_usage AS u (owner_id, day, deliveries)
                SELECT a.owner_id, (now() AT TIME ZONE 'UTC')::date, 1 FROM accounts a
                WHERE a.owner_id = $1 AND a.daily_limit >= 1
                ON CONFLICT (owner_id, day) DO UPDATE SET deliveries = u.deliveries + 1
                WHERE u.deliveries < (SELECT a.daily_limit FROM accounts a WHERE a.owner_id = $1)
                RETURNING u.deliveries, u.day),
            kept AS (
                UPDATE decisions SET counted_day = counted.day FROM counted WHERE delivery_id = $2)
            SELECT deliveries FROM counted
            """,
            [.text(owner), .uuid(deliveryId)])
        return try rows.first?.decode(Int.self, column: "deliveries")
    }
}

/// Giving a failed or cancelled delivery's place in the daily limit back.
enum AccountUsage {
    /// The events that end a saga without completing it (``SagaOutcomeRule``), except this
    /// service's own `account.rejected`, after which nothing was counted.
    static let endingEvents = SagaOutcomeRule.precedence.filter { $0 != .accountRejected }

    /// Serialises this service's transactions for one delivery (a transaction-scoped advisory
    /// lock, sent with the next statement), so a request and the end of its saga never interleave.
    static func lockDelivery(_ deliveryId: UUID, _ db: isolated PostgresConnection) throws {
        try db.executeDeferred("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [.text("account.delivery.\(deliveryId.uppercaseText)")])
    }

    /// The saga ended without completing (`endedBy` says how): the first such event records it
    /// and gives back the count of a validated request; later ones, and a request that arrives
    /// afterwards, count nothing.
    static func giveBack(endedBy type: String, context: inout HandlerContext, _ db: isolated PostgresConnection) throws {
        try lockDelivery(context.deliveryId, db)
        // One statement: record the end (first time only), mark a counted decision given back,
        // and take the count off that day's usage.
        let given = try db.query(
            """
            WITH ended AS (
                INSERT INTO ended_deliveries (delivery_id, ended_by) VALUES ($1, $2)
                ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id),
            given AS (
                UPDATE decisions SET given_back_at = now()
                WHERE delivery_id = $1 AND outcome = 'validated' AND counted_day IS NOT NULL AND given_back_at IS NULL
                  AND EXISTS (SELECT 1 FROM ended)
                RETURNING owner_id, counted_day)
            UPDATE daily_usage u SET deliveries = u.deliveries - 1
            FROM given WHERE u.owner_id = given.owner_id AND u.day = given.counted_day AND u.deliveries > 0
            RETURNING u.owner_id
            """,
            [.uuid(context.deliveryId), .text(type)])
        if let owner = try given.first?.decode(String.self, column: "owner_id") {
            context.logger.info("daily usage given back", metadata: ["account.owner": "\(owner)", "ended.by": "\(type)"])
        }
    }
}
