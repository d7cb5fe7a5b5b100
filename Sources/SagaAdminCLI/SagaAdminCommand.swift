import AMQP
import ArgumentParser
import CommandExit
import Choreography
import Foundation

/// `saga-admin`: operator commands for the running system.
@main
struct SagaAdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga-admin",
        abstract: "Operator commands for the Fabrikam saga system.",
        subcommands: [Parked.self, Account.self, APIKeys.self, Broker.self]
    )

    static func main() async { await mainEndingThreadsFirst() }
}

/// `saga-admin parked list|replay`: the messages a service parked, and sending them back.
struct Parked: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or replay the messages in a service's parking queue (<service>.parked).",
        subcommands: [List.self, Replay.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "The service (queue prefix), e.g. package.")
        var service: String

        @Option(help: "Broker URL, as the saga-admin user (default: $AMQP_URL, its password from $AMQP_PASSWORD_FILE if set, else the local broker).")
        var amqpURL: String?

        var parkedMessages: ParkedMessages {
            get throws {
                let fromEnvironment = try ServiceSettings().url("AMQP_URL")
                return ParkedMessages(amqpURL: amqpURL ?? fromEnvironment ?? "amqp://saga-admin@127.0.0.1:5680/%2f", service: service)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List parked messages (they stay parked).")

        @OptionGroup var options: Options

        @Option(help: "At most this many.")
        var limit = 1_000

        func run() async throws {
            let parked = try await options.parkedMessages.list(limit: limit)
            if parked.isEmpty {
                print("no parked messages in \(options.service).parked")
                return
            }
            for message in parked {
                print("\(message.messageId ?? "-")  \(message.type ?? "-")  delivery \(message.deliveryId ?? "-")")
                print("    reason \(message.reason), attempts \(message.attempts), parked \(message.parkedAt ?? "-")")
                if let error = message.lastError {
                    print("    " + error.split(separator: "\n").joined(separator: "\n    "))
                }
            }
            print("\(parked.count) parked message(s)")
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send parked messages back to the queue they came from.")

        @OptionGroup var options: Options

        @Option(name: .customLong("id"), help: "Replay only this event id (repeatable).")
        var ids: [String] = []

        @Flag(help: "Replay every parked message.")
        var all = false

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("give --all or at least one --id") }
        }

        func run() async throws {
            let replayed = try await options.parkedMessages.replay(messageIds: all ? nil : Set(ids))
            print("replayed \(replayed.count) message(s)" + (replayed.isEmpty ? "" : ": " + replayed.joined(separator: ", ")))
            if !all, replayed.count < ids.count { throw ExitCode(3) }
        }
    }
}
