import DedicatedThread
import Foundation
import SagaLoadMeasures

/// Reads the CPU ticks of a system's processes from `/proc`: its services, found by command line
/// (`<program> <service>`, every instance summed), and its servers, each found as the process
/// listening on its TCP port and counted with its whole process tree. File reads run on the
/// sampler's own thread, never on Swift's cooperative pool.
actor ProcessSampler {
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
    nonisolated static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    private let executor = DedicatedThreadExecutor(name: "saga-bench /proc sampler")
    private let program: String
    private let services: [String]
    private let serverPorts: [(name: String, port: Int)]
    /// Each server's root process, found by the first snapshot and kept for the later ones.
    private var serverRoots: [String: Int32] = [:]

    /// The sampler's own thread.
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// A sampler for `services` run as `<program> <service>` and for servers listening on the given ports.
    init(program: String, services: [String], serverPorts: [(name: String, port: Int)]) {
        self.program = program
        self.services = services
        self.serverPorts = serverPorts
    }

    isolated deinit {
        executor.shutdown()
    }

    /// The ticks of every group now; a group with no process is absent (``missingGroups(in:)``).
    func snapshot() -> CPUSnapshot {
        let processes = Self.allProcesses()
        var ticks: [String: [Int32: UInt64]] = [:]
        let wanted = Set(services)
        for process in processes {
            let arguments = ProcessCommandLine.arguments(Self.read("/proc/\(process.pid)/cmdline") ?? [])
            if let service = ProcessCommandLine.service(in: arguments, program: program, services: wanted) {
                ticks[service, default: [:]][process.pid] = process.ticksWithReapedChildren
            }
        }
        for (name, port) in serverPorts {
            if serverRoots[name] == nil { serverRoots[name] = ProcessTimes.topmost(of: Self.pidsListening(on: port), in: processes) }
            if let root = serverRoots[name], let total = ProcessTimes.treeTicks(root: root, in: processes) {
                ticks[name] = [root: total]
            }
        }
        return CPUSnapshot(ticks: ticks)
    }

    /// The services and servers a snapshot found no process for.
    nonisolated func missingGroups(in snapshot: CPUSnapshot) -> [String] {
        (services + serverPorts.map(\.name)).filter { snapshot.ticks[$0] == nil }
    }

    /// The group names in report order: the services, then the servers.
    nonisolated var groups: [String] { services + serverPorts.map(\.name) }

    /// Every process `/proc` lists now (those that vanish while being read are skipped).
    private static func allProcesses() -> [ProcessTimes] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard Int32(entry) != nil, let bytes = read("/proc/\(entry)/stat") else { return nil }
            return ProcessTimes.parse(stat: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The processes holding a socket that listens on TCP `port` (IPv4 or IPv6).
    private static func pidsListening(on port: Int) -> Set<Int32> {
        let tables = ["/proc/net/tcp", "/proc/net/tcp6"].compactMap { read($0).map { String(decoding: $0, as: UTF8.self) } }
        let inodes = tables.reduce(into: Set<UInt64>()) { $0.formUnion(ListeningSockets.inodes(listeningOn: port, table: $1)) }
        guard !inodes.isEmpty else { return [] }
        var holders: Set<Int32> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(entry)/fd")
            else { continue }
            let holds = descriptors.contains { descriptor in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\(descriptor)"))
                    .flatMap(ListeningSockets.socketInode(linkTarget:)).map(inodes.contains) ?? false
            }
            if holds { holders.insert(pid) }
        }
        return holders
    }

    /// A file's bytes, or `nil` if it cannot be read (a process that exited meanwhile).
    private static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}
