@testable import Choreography
import Testing

@Suite("Worker shares: how a batch is spread over the worker connections")
struct WorkerSharesTests {
    @Test("a batch that fits one transaction goes to one worker, in batch order")
    func smallBatchOneWorker() {
        let shares = WorkerShares.split([7, 3, 7, 9, 1, 3], workers: 4, eventsPerTransaction: 16)
        #expect(shares == [[0, 1, 2, 3, 4, 5]])
    }

    @Test("a larger batch uses as many workers as it fills, at most all of them, one key in one share")
    func largerBatchSeveralWorkers() {
        let keys = Array(0..<40).map { $0 % 10 }
        let shares = WorkerShares.split(keys, workers: 4, eventsPerTransaction: 16)
        #expect(shares.count == 3)
        #expect(shares.flatMap { $0 }.sorted() == Array(0..<40))
        for share in shares {
            #expect(share == share.sorted())
            for other in shares where other != share {
                #expect(Set(share.map { keys[$0] }).isDisjoint(with: other.map { keys[$0] }))
            }
        }
        #expect(WorkerShares.split(Array(0..<200), workers: 4, eventsPerTransaction: 16).count == 4)
    }

    @Test("at one event per transaction every worker takes a share, as before; an empty batch has none")
    func oneEventPerTransaction() {
        #expect(WorkerShares.split([0, 1, 2, 3, 4, 5], workers: 4, eventsPerTransaction: 1) == [[0, 4], [1, 5], [2], [3]])
        #expect(WorkerShares.split([0, 1], workers: 4, eventsPerTransaction: 1) == [[0], [1]])
        #expect(WorkerShares.split([], workers: 4, eventsPerTransaction: 16).isEmpty)
    }
}
