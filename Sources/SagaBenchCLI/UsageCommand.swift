import AMQP
import ArgumentParser
import Foundation
import PlainHTTPClient
import Postgres
import SagaLoadMeasures

/// `saga-bench usage`: the CPU and SQL per saga of a system that another program drives (the
/// Python reference under its own load generator), measured the way `saga-bench load` measures
/// this project: from the moment the system is ready until a query says the last saga ended.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Measure another system's CPU and SQL per saga: from its readiness until --until-sql is true.",
        discussion: """
            Waits until every `<program> <service>` process runs, --ready-url answers 200 and every
            --ready-queues queue has a consumer, samples /proc and the database's counters, polls
            --until-sql (one boolean) every 100 ms on the measured database, samples again and
            prints the CPU per saga of every service, the broker and the database server, and the
            statements and transactions per saga in the measured database (this command's own
            queries excluded). The last line, USAGE, has the figures as key=value.
            """)

    @Option(help: "The program whose argument names the service in the services' command lines.")
    var program = "saga"

    @Option(help: "The services, comma-separated.")
    var services = "ingestion,account,package,drone,delivery,history"

    @Option(help: "URL that answers 200 once the system accepts requests.")
    var readyURL = "http://127.0.0.1:8088/health"

    @Option(help: "Queues that must each have a consumer before the window opens, comma-separated.")
    var readyQueues = ""

    @Option(help: "SQL returning one boolean, true once the run is over (polled every 100 ms on the measured database).")
    var untilSQL: String

    @Option(help: "LIKE pattern of a statement the load generator sends, left out of the statements (repeatable).")
    var excludeStatements: [String] = []

    @Option(help: "LIKE pattern of a statement each call of which is one transaction of the load generator, left out of the transactions (repeatable).")
    var excludeTransactions: [String] = []

    @Option(help: "Sagas the run ends, to divide by.")
    var sagas: Int

    @Option(help: "Seconds to wait for readiness, then for the end.")
    var timeout = 900

    @Option(help: "Milliseconds to wait before the last reading of the transaction counter (PostgreSQL publishes an idle backend's counts up to 10 s late).")
    var settleMs = 11_000

    @OptionGroup var servers: ServerOptions

    func run() async throws {
        let (amqpURL, databaseURL) = try servers.resolved()
        let serviceNames = services.split(separator: ",").map { String($0) }
        let database = try await PostgresConnection.connect(url: databaseURL, applicationName: "saga-bench usage")
        var meter = try await ResourceMeter.prepare(
            program: program, services: serviceNames, amqpURL: amqpURL, databaseURL: databaseURL, database: database)
        meter.exclusions = DatabaseCounterReader.Exclusions(statements: excludeStatements, transactions: excludeTransactions)
        let excluded = excludeStatements.isEmpty && excludeTransactions.isEmpty ? "the load generator's included"
            : meter.statementsAvailable ? "the load generator's (--exclude-*) left out" : "the load generator's included (leaving them out needs pg_stat_statements)"
        let deadline = ContinuousClock.now + .seconds(timeout)
        while try await !isReady(meter, amqpURL: amqpURL) {
            guard ContinuousClock.now < deadline else { throw BenchmarkFailure("the system was not ready within \(timeout) s") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let start = try await meter.start()
        var polls: Int64 = 0
        while true {
            polls += 1
            if try await database.query(untilSQL).first?.decode(Bool.self, at: 0) == true { break }
            guard ContinuousClock.now < deadline else { throw BenchmarkFailure("--until-sql was not true within \(timeout) s") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let usage = try await meter.finish(start, settle: .milliseconds(settleMs), own: DatabaseCounters(transactions: polls, statements: polls))
        await database.close()
        let databaseName = URLComponents(string: databaseURL)?.path.split(separator: "/").last.map(String.init) ?? "?"
        print(ResourceReport.lines(
            usage, sagas: sagas, groups: meter.sampler.groups, database: databaseName,
            exclusion: "this command's own \(polls) queries excluded, \(excluded)").joined(separator: "\n"))
        print((["USAGE"] + ResourceReport.fields(usage, sagas: sagas, groups: meter.sampler.groups)).joined(separator: " "))
    }

    /// Whether every service process runs, the ready URL answers 200 and every ready queue has a consumer.
    private func isReady(_ meter: ResourceMeter, amqpURL: String) async throws -> Bool {
        guard meter.sampler.missingGroups(in: await meter.sampler.snapshot()).isEmpty,
              let url = URLComponents(string: readyURL), let port = url.port,
              (try? await PlainHTTPClient(host: url.host ?? "127.0.0.1", port: port, timeout: .seconds(2)).get(url.path))?.status == 200
        else { return false }
        let queues = readyQueues.split(separator: ",").map { String($0) }
        guard !queues.isEmpty else { return true }
        guard let connection = try? await AMQPConnection.connect(url: amqpURL) else { return false }
        var consumed = true
        for queue in queues where consumed {
            consumed = ((try? await connection.inspectQueue(queue))?.consumerCount ?? 0) > 0
        }
        await connection.close()
        return consumed
    }
}
