/// How the event processor spreads a batch of deliveries over its worker connections.
///
/// Each worker handles its share in transactions of up to `eventsPerTransaction` events, and
/// every transaction costs a commit (a WAL flush), round trips and thread hops. So a batch goes
/// to as few workers as it fills: a batch of 6 with 16 events per transaction is one
/// transaction on one worker, not four transactions of one or two events on four. Measured with
/// `saga-bench load` (1000 sagas, 32 in flight): 8.6 transactions per saga with every batch over
/// all four workers, 6.2 with one worker. Backlogs larger than one transaction still use several.
enum WorkerShares {
    /// Splits a batch into shares of indices into `keys`, one per worker used: all elements with
    /// the same key (one delivery's events) in one share, in batch order, so two workers'
    /// transactions never wait on each other's locks on one delivery's rows.
    static func split(_ keys: [Int], workers: Int, eventsPerTransaction: Int) -> [[Int]] {
        guard !keys.isEmpty else { return [] }
        let perTransaction = max(1, eventsPerTransaction)
        let needed = (keys.count + perTransaction - 1) / perTransaction
        let used = max(1, min(workers, needed))
        var shares = [[Int]](repeating: [], count: used)
        for (index, key) in keys.enumerated() {
            shares[Int(UInt(bitPattern: key) % UInt(used))].append(index)
        }
        return shares.filter { !$0.isEmpty }
    }
}
