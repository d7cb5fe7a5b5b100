/// What a process's command line (`/proc/<pid>/cmdline`) says about which service it runs.
package enum ProcessCommandLine {
    /// The arguments of a `/proc/<pid>/cmdline` (NUL-separated, NUL-terminated).
    package static func arguments(_ bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else { return [] }  // a kernel thread
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast(bytes.last == 0 ? 1 : 0)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// The service a command line runs when an argument whose last path component is `program`
    /// is followed by one of `services`: `…/fabrikam-service drone` (program `fabrikam-service`)
    /// or `…/python -m saga drone` (program `saga`); `nil` otherwise.
    package static func service(in arguments: [String], program: String, services: Set<String>) -> String? {
        for (index, argument) in arguments.enumerated().dropLast() {
            let name = argument.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? argument
            if name == program, services.contains(arguments[index + 1]) { return arguments[index + 1] }
        }
        return nil
    }
}
