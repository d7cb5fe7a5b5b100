import ArgumentParser
import Contracts
import Foundation

/// `saga-bench codec`: the CPU cost per event of the runtime's JSON work (validate the incoming
/// message, decode its payload, encode the emitted envelope), with the JSON value coders the
/// runtime uses and with Foundation's coders, in one run.
struct CodecBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Per-event JSON cost: validation, payload decoding and envelope encoding (JSON value coders vs Foundation's).")

    @Option(help: "Events per run.")
    var events = 20_000

    @Option(help: "Runs; medians are reported.")
    var runs = 5

    func run() async throws {
        let validator = try ContractValidator()
        let request = EventEnvelope(deliveryId: UUID(), causationId: nil, data: DeliveryRequested.sample())
        let body = [UInt8](try EventCoding.makeEncoder().encode(request))
        let reply = EventEnvelope(deliveryId: request.deliveryId, causationId: request.id, data: AccountValidated.sample())
        print("saga-bench codec: \(runs) runs of \(events) events (delivery.requested in, account.validated out), medians")

        var report = BenchmarkReport()
        for _ in 0..<runs {
            report.add("validate incoming message (events/s)", try rate {
                _ = try validator.validate(body)
            })
            let envelope = try validator.validate(body)
            report.add("decode payload, JSON value decoder (events/s)", try rate {
                _ = try JSONValueDecoder().decode(DeliveryRequested.self, from: envelope.data)
            })
            report.add("decode payload, Foundation JSONDecoder (events/s)", try rate {
                _ = try EventCoding.makeDecoder().decode(DeliveryRequested.self, from: Data(envelope.data.serialized()))
            })
            report.add("encode envelope, as the runtime does (events/s)", try rate {
                _ = try AnyEventEnvelope(reply).serialized()
            })
            report.add("encode envelope, Foundation JSONEncoder (events/s)", try rate {
                _ = try EventCoding.makeEncoder().encode(reply)
            })
        }
        for _ in 0..<runs {
            report.add("new event id, UUID.random() (ids/s)", try rate { _ = UUID.random() })
            report.add("new event id, Foundation UUID() (ids/s)", try rate { _ = UUID() })
        }
        report.print()
    }

    /// Calls `body` `events` times; returns calls per second.
    private func rate(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        for _ in 0..<events { try body() }
        return Double(events) / (ContinuousClock.now - start).seconds
    }
}
