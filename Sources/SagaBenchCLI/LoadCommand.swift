import ArgumentParser
import Foundation
import AccountService
import Postgres
import SagaLoadMeasures
import SagaScenarios

/// `saga-bench load`: drives the running system through its HTTP API — closed loop by default
/// (N sagas, C in flight), open with `--open` — and reports sagas/s, latency, outcomes, and the
/// CPU and SQL each saga cost.
struct LoadCommand: AsyncParsableCommand {
    /// The six services, as `fabrikam-service <name>` runs them.
    static let services = ["ingestion", "account", "package", "drone", "delivery", "history"]

    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Run N sagas through the HTTP API (closed loop: C in flight; --open: a flood) and print sagas/s, latency, outcomes, CPU and SQL per saga.",
        discussion: """
            Needs the six services running (scripts/run.sh). Closed loop: C clients, each submitting
            its next delivery only once its saga has ended with every compensation it needs logged
            in history (history's stage is terminal and SagaOutcomeRule's compensations are
            logged), watched by one shared poller. --open submits everything with C requests in
            flight (optionally paced by --rate) and then waits.
            Latency runs from the client's wall clock just before the POST to history's recorded_at
            of the event that completed the end (the first outcome event, or the last compensation
            it needs); both are this host's clock. Deliveries are spread over --owners accounts
            (created if missing, the largest daily limit, one in twenty suspended), so no daily
            limit bites. CPU comes from /proc (every `--service-program <service>` process, the
            process listening on the broker's port and on the database's port, each with its
            children); statements from pg_stat_statements, transactions from pg_stat_database read
            --settle-ms after the run (PostgreSQL publishes an idle backend's counts up to 10 s
            late), less the idle system's rate measured over 3 s before the run; the watcher's own
            queries are left out of both. The last line, RESULT, has every figure as key=value.
            Exits 1 if a saga did not end.
            """)

    @Option(help: "Deliveries to submit (N).")
    var count = 200

    @Option(help: "Closed loop: sagas in flight (C). With --open: POST requests in flight.")
    var concurrency = 16

    @Flag(help: "Open loop: submit without waiting for sagas to end (a flood that bounds requests, not sagas).")
    var open = false

    @Option(help: "With --open: submissions per second (0: as fast as they are accepted).")
    var rate = 0.0

    @Option(help: "Paths and weights. Paths: \(SagaPath.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mix = "completed=90,account-suspended=5,no-fly-zone=5"

    @Option(help: "Accounts the deliveries are spread over (one in twenty suspended).")
    var owners = 1000

    @Option(help: "Milliseconds between the watcher's queries.")
    var pollIntervalMs = 5

    @Option(help: "Seconds a saga may take to end before it counts as not ended.")
    var timeout = 120

    @Option(help: "Milliseconds of quiet before the run and before the last reading of the transaction counter (PostgreSQL publishes an idle backend's counts up to 10 s late).")
    var settleMs = 11_000

    @Option(help: "The program whose argument names the service, in the services' command lines.")
    var serviceProgram = "fabrikam-service"

    @Option(help: "Ingestion service port.")
    var ingestionPort = 8080

    @Option(help: "History service port.")
    var historyPort = 8086

    @OptionGroup var servers: ServerOptions

    @OptionGroup var key: APIKeyOption

    func run() async throws {
        let plan = SagaPath.plan(count: count, mix: try SagaPath.parseMix(mix))
        guard !plan.isEmpty else { throw ValidationError("the mix has no weight") }
        let client = try key.client(ingestionPort: ingestionPort, historyPort: historyPort)
        let (amqpURL, databaseURL) = try servers.resolved()
        let accounts = BenchOwners(owners: owners)
        try await BenchAccounts.provision(accounts, databaseURL: databaseURL)

        let database = try await PostgresConnection.connect(url: databaseURL, applicationName: "saga-bench load")
        // The watcher's prepared query would otherwise keep a generic plan made while history's
        // tables were nearly empty (sequential scans that grow with the run, billed to PostgreSQL).
        _ = try await database.simpleQuery("SET plan_cache_mode = force_custom_plan")
        let meter = try await ResourceMeter.prepare(
            program: serviceProgram, services: Self.services, amqpURL: amqpURL, databaseURL: databaseURL, database: database)
        let watcher = SagaEndWatcher(database: database, timeout: .seconds(timeout))
        let submitter = LoadSubmitter(
            plan: plan, owners: accounts, client: client)

        let mode = open ? "open loop, \(concurrency) requests in flight\(rate > 0 ? ", \(rate)/s" : "")" : "closed loop, \(concurrency) sagas in flight"
        print("saga-bench load: \(plan.count) sagas, \(mode), mix \(mix)")
        print("owners: \(accounts.active) active accounts (bench-active-0000…) and \(accounts.suspended) suspended (bench-suspended-0000…), daily limit \(AccountAdmin.maximumDailyLimit) each")
        try await Task.sleep(for: .milliseconds(settleMs))
        let idleRate = try await meter.idleTransactionRate(over: .seconds(3))
        let start = try await meter.start()
        let poller = Task { try await watcher.run(interval: .milliseconds(pollIntervalMs)) }
        let run = open
            ? await submitter.openLoop(requests: concurrency, rate: rate, watcher: watcher)
            : await submitter.closedLoop(clients: concurrency, watcher: watcher)
        poller.cancel()
        if case .failure(let error) = await poller.result { print("the watcher's query failed, sagas still waited for count as not ended: \(error)") }
        let polls = await watcher.polls
        let usage = try await meter.finish(
            start, settle: .milliseconds(settleMs), idleTransactionsPerSecond: idleRate,
            own: DatabaseCounters(transactions: Int64(polls), statements: Int64(polls)))
        let figures = LoadFigures(try await HistoryReadback.sagas(run.sagas, database))
        await database.close()

        let databaseName = URLComponents(string: databaseURL)?.path.split(separator: "/").last.map(String.init) ?? "?"
        print(LoadReport.lines(figures, run: run, planned: plan.count).joined(separator: "\n"))
        print(ResourceReport.lines(
            usage, sagas: figures.ended, groups: meter.sampler.groups, database: databaseName,
            exclusion: "the bench's own \(polls) watcher queries excluded").joined(separator: "\n"))
        print((["RESULT"] + LoadReport.fields(figures) + ResourceReport.fields(usage, sagas: figures.ended, groups: meter.sampler.groups)
            + ["ok=\(figures.ended == plan.count && figures.outcomes.unexpected == 0)"]).joined(separator: " "))
        if figures.ended < plan.count { throw ExitCode(1) }
    }
}
