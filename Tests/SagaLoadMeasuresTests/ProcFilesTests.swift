import SagaLoadMeasures
import Testing

/// Parsing `/proc/<pid>/stat`, `/proc/<pid>/cmdline` and `/proc/net/tcp`, and summing process trees.
@Suite("/proc files")
struct ProcFilesTests {
    @Test("stat: ticks, parent and a command name with spaces and parentheses")
    func statLine() throws {
        let line = "4242 (beam.smp (x) y) S 4200 4242 4200 0 -1 4194560 100 0 0 0 1234 567 89 10 20 0 30 0 9999 0 0"
        let times = try #require(ProcessTimes.parse(stat: line))
        #expect(times.pid == 4242)
        #expect(times.command == "beam.smp (x) y")
        #expect(times.parentPid == 4200)
        #expect(times.ownTicks == 1234 + 567)
        #expect(times.ticksWithReapedChildren == 1234 + 567 + 89 + 10)
        #expect(ProcessTimes.parse(stat: "garbage") == nil)
        #expect(ProcessTimes.parse(stat: "12 (short) S 1 2") == nil)
    }

    @Test("a tree counts every live member and what each reaped; other processes are left out")
    func treeTicks() {
        let processes = [
            ProcessTimes(pid: 10, command: "postgres", parentPid: 1, userTicks: 5, systemTicks: 5, reapedChildrenUserTicks: 40, reapedChildrenSystemTicks: 2),
            ProcessTimes(pid: 11, command: "postgres", parentPid: 10, userTicks: 100, systemTicks: 20),
            ProcessTimes(pid: 12, command: "postgres", parentPid: 10, userTicks: 7, systemTicks: 3),
            ProcessTimes(pid: 13, command: "helper", parentPid: 12, userTicks: 1, systemTicks: 0),
            ProcessTimes(pid: 20, command: "other", parentPid: 1, userTicks: 1000, systemTicks: 1000),
        ]
        #expect(ProcessTimes.treeTicks(root: 10, in: processes) == 10 + 42 + 120 + 10 + 1)
        #expect(ProcessTimes.treeTicks(root: 99, in: processes) == nil)
    }

    @Test("the topmost holder of a listening socket is the one whose parent does not hold it")
    func topmost() {
        let processes = [
            ProcessTimes(pid: 10, command: "postgres", parentPid: 1, userTicks: 0, systemTicks: 0),
            ProcessTimes(pid: 11, command: "postgres", parentPid: 10, userTicks: 0, systemTicks: 0),
        ]
        #expect(ProcessTimes.topmost(of: [10, 11], in: processes) == 10)
        #expect(ProcessTimes.topmost(of: [11], in: processes) == 11)
        #expect(ProcessTimes.topmost(of: [], in: processes) == nil)
    }

    @Test("cmdline: NUL-separated arguments; the service follows the program")
    func commandLine() {
        let arguments = ProcessCommandLine.arguments(Array("/srv/fabrikam/.build/release/fabrikam-service\u{0}drone\u{0}".utf8))
        #expect(arguments == ["/srv/fabrikam/.build/release/fabrikam-service", "drone"])
        let services: Set<String> = ["drone", "history"]
        #expect(ProcessCommandLine.service(in: arguments, program: "fabrikam-service", services: services) == "drone")
        #expect(ProcessCommandLine.service(in: ["/tmp/venv/bin/python", "-m", "saga", "history"], program: "saga", services: services) == "history")
        #expect(ProcessCommandLine.service(in: ["fabrikam-service", "reset"], program: "fabrikam-service", services: services) == nil)
        #expect(ProcessCommandLine.service(in: ["vim", "fabrikam-service.swift", "drone"], program: "fabrikam-service", services: services) == nil)
        #expect(ProcessCommandLine.service(in: ["fabrikam-service"], program: "fabrikam-service", services: services) == nil)
        #expect(ProcessCommandLine.arguments([]) == [])
    }

    @Test("/proc/net/tcp: the inodes listening on a port, established connections left out")
    func listeningSockets() {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1631 00000000:0000 0A 00000000:00000000 00:00000000 00000000   103        0 1682791 1 0 100 0 0 10 0
               1: 0100007F:1631 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   103        0 1700000 1 0 20 4 30 10 -1
               2: 0100007F:1630 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1991211 1 0 100 0 0 10 0
            """
        #expect(ListeningSockets.inodes(listeningOn: 0x1631, table: table) == [1682791])
        #expect(ListeningSockets.inodes(listeningOn: 5681, table: table) == [1682791])
        #expect(ListeningSockets.inodes(listeningOn: 9999, table: table).isEmpty)
        #expect(ListeningSockets.socketInode(linkTarget: "socket:[1682791]") == 1682791)
        #expect(ListeningSockets.socketInode(linkTarget: "/dev/null") == nil)
    }
}
