import AMQP
import ArgumentParser
import BrokerAdministration
import Choreography
import Foundation

/// `saga-admin broker setup|grants`: the system's broker users, their rights and its queues.
struct Broker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the system's broker users with least-privilege rights, and declare its queues.",
        subcommands: [Setup.self, Grants.self]
    )

    struct SystemOptions: ParsableArguments {
        @Option(help: "The topic exchange (default: $EVENT_EXCHANGE, else fabrikam.events).")
        var exchange: String?

        @Option(help: "Put before every queue and user name (default: $QUEUE_PREFIX, else none).")
        var queuePrefix: String?

        var settings: ServiceSettings { ServiceSettings() }
        var resolvedExchange: String { exchange ?? settings.string("EVENT_EXCHANGE", default: "fabrikam.events") }
        var resolvedPrefix: String { queuePrefix ?? settings.string("QUEUE_PREFIX", default: "") }
    }

    struct Setup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update every broker user (one per service, saga-inspect, saga-admin) and declare the saga's queues.",
            discussion: """
                Runs as a broker administrator, through the management API. Each user's password is \
                read from <secrets-dir>/amqp-<user> (scripts/servers.sh generates them locally; \
                Docker secrets are files too). A service may then configure and consume only its \
                own queues and publish only the event types it produces.
                """)

        @OptionGroup var system: SystemOptions

        @Option(help: "An administrator's broker URL (default: $AMQP_ADMIN_URL, its password from $AMQP_ADMIN_PASSWORD_FILE if set, else $AMQP_URL).")
        var amqpAdminURL: String?

        @Option(help: "The management API (default: $AMQP_MANAGEMENT_URL, else the broker's host on its AMQP port + 10000).")
        var managementURL: String?

        @Option(help: "Directory holding amqp-<user> password files.")
        var secretsDir: String

        @Option(help: "classic or quorum work queues (default: $QUEUE_TYPE, else classic).")
        var queueType: String?

        func run() async throws {
            let settings = system.settings
            guard let adminURL = try amqpAdminURL ?? settings.url("AMQP_ADMIN_URL") ?? settings.string("AMQP_URL", isSecret: true) else {
                throw ValidationError("no administrator URL: give --amqp-admin-url or set AMQP_ADMIN_URL")
            }
            let kind: AMQPQueueOptions.Kind
            if let queueType {
                guard let chosen = AMQPQueueOptions.Kind(rawValue: queueType) else { throw ValidationError("--queue-type must be classic or quorum") }
                kind = chosen
            } else {
                kind = try settings.choice("QUEUE_TYPE") ?? .classic
            }
            let topology = SagaTopology(exchange: system.resolvedExchange, queuePrefix: system.resolvedPrefix, queueKind: kind)
            let grants = try await BrokerSetup.run(
                amqpAdminURL: adminURL, managementURL: managementURL ?? settings.string("AMQP_MANAGEMENT_URL"), topology: topology
            ) { user in try Self.secret(user, in: secretsDir) }
            print("broker users set up: \(grants.map(\.user).joined(separator: ", ")); saga queues declared on \(topology.exchange)")
        }

        /// The password file of `user` (`<directory>/amqp-<user>`).
        static func secret(_ user: String, in directory: String) throws -> String {
            do {
                return try PasswordFile.read(URL(fileURLWithPath: directory).appendingPathComponent("amqp-\(user)").path, for: "broker user \(user)")
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    struct Grants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every broker user's rights as setup applies them (tab-separated).")

        @OptionGroup var system: SystemOptions

        func run() async throws {
            print(["user", "configure", "write", "read", "topic-exchange", "topic-write", "topic-read"].joined(separator: "\t"))
            for grant in BrokerGrants.all(exchange: system.resolvedExchange, queuePrefix: system.resolvedPrefix) {
                print([grant.user, grant.configure, grant.write, grant.read, grant.topicExchange ?? "-", grant.topicWrite, grant.topicRead]
                    .joined(separator: "\t"))
            }
        }
    }
}
