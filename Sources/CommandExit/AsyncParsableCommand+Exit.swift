public import ArgumentParser
import DedicatedThread
import Foundation

extension AsyncParsableCommand {
    /// Parses the arguments and runs the chosen command like ArgumentParser's own `main()` (the
    /// same messages, on the same streams, and the same exit codes), then ends the process
    /// through ``DedicatedThreadExecutor/exitProcess(_:grace:)``: after the connections'
    /// dedicated threads have stopped, without the exit-time destructors that race with them
    /// (the daemons' "double free or corruption" abort). A command-line tool's `main()`.
    public static func mainEndingThreadsFirst() async -> Never {
        let status: Int32
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            status = ExitCode.success.rawValue
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                // Help and version go to standard output, errors to standard error, as ArgumentParser does.
                if code == .success { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            }
            status = code.rawValue
        }
        await DedicatedThreadExecutor.exitProcess(status)
    }
}
