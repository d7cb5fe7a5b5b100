import AccountService
import ArgumentParser
import Choreography
import Foundation
import Postgres

/// `saga-admin account add|suspend|activate|list`: the account service's accounts.
struct Account: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, suspend, activate or list the accounts the account service validates against.",
        subcommands: [Add.self, Suspend.self, Activate.self, List.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "Database URL with access to the account schema (default: $ACCOUNT_DATABASE_URL, $DATABASE_URL, else the local account role, its password from PGPASSWORD).")
        var databaseURL: String?

        @Option(help: "The account service's schema.")
        var schema = "account"

        /// Applies a status change; an unknown owner prints so and exits 2.
        func change(_ ownerId: String, done: String, _ body: @escaping @Sendable (isolated PostgresConnection) throws -> Bool) async throws {
            guard try await withAccounts(body) else {
                print("no account \(ownerId)")
                throw ExitCode(2)
            }
            print("\(done) \(ownerId)")
        }

        /// Runs `body` on a connection whose search_path is the account schema.
        func withAccounts<T: Sendable>(_ body: @escaping @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
            let url = databaseURL ?? ServiceSettings(service: "account").string("DATABASE_URL", isSecret: true)
                ?? "postgresql://account@127.0.0.1:5440/fabrikam"  // the password from PGPASSWORD or ~/.pgpass
            guard schema.range(of: #"^[a-z_][a-z0-9_]*$"#, options: .regularExpression) != nil else {
                throw ValidationError("'\(schema)' is not a schema name")
            }
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(url: url, applicationName: "saga-admin account")
            } catch {
                throw ValidationError("cannot connect to the account database: \(error)")
            }
            let result: Result<T, any Error>
            do {
                _ = try await connection.simpleQuery("SET search_path TO \(schema)")
                result = .success(try await connection.withIsolation { db in try body(db) })
            } catch let error as AccountAdminError {
                result = .failure(ValidationError(error.message))
            } catch let error as PostgresError where error.sqlState == "42P01" {
                result = .failure(ValidationError(
                    "schema \(schema) has no accounts table: the account service has not migrated this database yet (start it once)"))
            } catch {
                result = .failure(error)
            }
            await connection.close()
            return try result.get()
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an active account.")
        @OptionGroup var options: Options
        @Argument(help: "The owner id (1–64 of A-Z a-z 0-9 . _ -).") var ownerId: String
        @Option(help: "Deliveries allowed per UTC day (0…\(AccountAdmin.maximumDailyLimit)).") var dailyLimit = 100

        func run() async throws {
            let (ownerId, dailyLimit) = (self.ownerId, self.dailyLimit)
            try await options.withAccounts { db in try AccountAdmin.add(ownerId: ownerId, dailyLimit: dailyLimit, on: db) }
            print("added \(ownerId) (active, daily limit \(dailyLimit))")
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend an account: its new deliveries are rejected (ACCOUNT_SUSPENDED).")
        @OptionGroup var options: Options
        @Argument var ownerId: String

        func run() async throws {
            let ownerId = self.ownerId
            try await options.change(ownerId, done: "suspended") { db in try AccountAdmin.suspend(ownerId: ownerId, on: db) }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate a suspended account.")
        @OptionGroup var options: Options
        @Argument var ownerId: String

        func run() async throws {
            let ownerId = self.ownerId
            try await options.change(ownerId, done: "activated") { db in try AccountAdmin.activate(ownerId: ownerId, on: db) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts with today's usage.")
        @OptionGroup var options: Options

        func run() async throws {
            let accounts = try await options.withAccounts { db in try AccountAdmin.list(on: db) }
            print("owner id".padding(toLength: 24, withPad: " ", startingAt: 0) + "status     limit/day  today")
            for account in accounts {
                print(account.ownerId.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + account.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(account.dailyLimit).leftPadded(10) + String(account.deliveriesToday).leftPadded(7))
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
