import ArgumentParser
import CommandExit

/// `saga-bench`: throughput figures for this machine's broker, database and (later) runtime.
@main
struct SagaBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga-bench",
        abstract: "Benchmarks for the Fabrikam saga system (prints figures; not a test).",
        subcommands: [
            RawLimitsCommand.self, EchoBenchmarkCommand.self, CodecBenchmarkCommand.self, LoadCommand.self, UsageCommand.self, DemoCommand.self,
            SchedulesCommand.self, HistoryBenchmarkCommand.self, ExplorerListBenchmarkCommand.self, FloorCommand.self,
        ]
    )

    static func main() async { await mainEndingThreadsFirst() }
}
