/// Which sockets listen on a TCP port, from the kernel's `/proc/net/tcp` table.
package enum ListeningSockets {
    /// The inodes of the sockets in `table` (the text of `/proc/net/tcp` or `/proc/net/tcp6`) that
    /// listen (state `0A`) on local port `port`; match them with `/proc/<pid>/fd/*` links `socket:[inode]`.
    package static func inodes(listeningOn port: Int, table: String) -> Set<UInt64> {
        var inodes: Set<UInt64> = []
        for line in table.split(separator: "\n").dropFirst() {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9, fields[3] == "0A",
                  let portText = fields[1].split(separator: ":").last, Int(portText, radix: 16) == port,
                  let inode = UInt64(fields[9]), inode != 0
            else { continue }
            inodes.insert(inode)
        }
        return inodes
    }

    /// The inode a `/proc/<pid>/fd/*` link target names when it is a socket (`socket:[12345]`).
    package static func socketInode(linkTarget: String) -> UInt64? {
        guard linkTarget.hasPrefix("socket:["), linkTarget.hasSuffix("]") else { return nil }
        return UInt64(linkTarget.dropFirst("socket:[".count).dropLast())
    }
}
