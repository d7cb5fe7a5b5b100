import Dispatch
import Foundation
import Synchronization

/// A serial executor that runs every job on one dedicated OS thread.
///
/// Actors that own a blocking C handle (a rabbitmq-c connection, a libpq `PGconn`) use one of
/// these as their `unownedExecutor`, so blocking calls never run on Swift's cooperative pool and
/// the handle is only ever touched by one thread.
package final class DedicatedThreadExecutor: SerialExecutor {
    private struct State: ~Copyable {
        var jobs: [UnownedJob] = []
        var isShuttingDown = false
    }

    /// How many of these threads are running in the process.
    private static let running = Mutex(0)

    /// How many dedicated threads have not ended yet.
    package static var runningThreads: Int { running.withLock { $0 } }

    /// Ends the process with `status` once the dedicated threads have stopped (at most `grace`
    /// later; a daemon's connections are closed and released by then): flushes every output
    /// stream and exits without the exit-time destructors of the C libraries and runtimes, which
    /// otherwise race with threads still ending (seen as a "double free or corruption" abort
    /// after SIGTERM, about one stop in sixty). Every executable's last line (the command-line
    /// ones through `CommandExit`).
    package static func exitProcess(_ status: Int32, grace: Duration = .seconds(2)) async -> Never {
        let deadline = ContinuousClock.now + grace
        while runningThreads > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        fflush(nil)  // every output stream
        _exit(status)
    }

    private let state = Mutex(State())
    /// Counts jobs (and the shutdown request) not yet picked up by the thread.
    private let wakeups = DispatchSemaphore(value: 0)
    /// The name given to the thread, visible in debuggers and `top -H`.
    package let name: String

    /// Starts the thread; it runs until `shutdown()` is called and the queue has drained.
    package init(name: String) {
        self.name = name
        Self.running.withLock { $0 += 1 }
        let thread = Thread { [self] in
            self.runLoop()
            Self.running.withLock { $0 -= 1 }
        }
        thread.name = name
        thread.start()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let unownedJob = UnownedJob(job)
        let accepted = state.withLock { state -> Bool in
            guard !state.isShuttingDown else { return false }
            state.jobs.append(unownedJob)
            return true
        }
        precondition(accepted, "job enqueued on DedicatedThreadExecutor '\(name)' after shutdown")
        wakeups.signal()
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the jobs already queued and then exit. Idempotent.
    package func shutdown() {
        let first = state.withLock { state -> Bool in
            defer { state.isShuttingDown = true }
            return !state.isShuttingDown
        }
        if first { wakeups.signal() }
    }

    private func runLoop() {
        while true {
            wakeups.wait()
            let (batch, done) = state.withLock { state -> ([UnownedJob], Bool) in
                let batch = state.jobs
                state.jobs.removeAll(keepingCapacity: true)
                return (batch, state.isShuttingDown)
            }
            for job in batch {
                job.runSynchronously(on: asUnownedSerialExecutor())
            }
            if done && batch.isEmpty { return }
        }
    }
}
