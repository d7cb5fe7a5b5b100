import CLibPQ
import Foundation
import Logging

/// Receives the server's notices and warnings for one `PGconn`: logs them at debug level instead
/// of libpq's default of printing to stderr, and remembers a FATAL message that arrived while
/// the session was idle (the server says why it is about to close the connection, for example
/// `pg_terminate_backend` or a shutdown), so the connection can be known dead before it is used.
///
/// Only called by libpq from inside calls the owning `PostgresConnectionHandle` makes, so on that
/// handle's one thread.
final class PostgresNoticeReceiver {
    private let logger: Logger
    /// Set when a FATAL or PANIC message arrived outside a statement.
    private(set) var closingReason: String?

    init(logger: Logger) {
        self.logger = logger
    }

    /// Installs this receiver on a connection; it must outlive the `PGconn`.
    func install(on connection: OpaquePointer) {
        PQsetNoticeReceiver(
            connection,
            { context, result in
                guard let context, let result else { return }
                Unmanaged<PostgresNoticeReceiver>.fromOpaque(context).takeUnretainedValue().receive(result)
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// Forgets a recorded FATAL message (after reconnecting).
    func clear() {
        closingReason = nil
    }

    private func receive(_ result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let severity = field("V") ?? field("S") ?? "NOTICE"
        let message = field("M") ?? PQresultErrorMessage(result).map { String(cString: $0) } ?? ""
        if severity == "FATAL" || severity == "PANIC" { closingReason = message }
        logger.debug("Postgres notice", metadata: [
            "pg.severity": "\(severity)", "pg.sqlstate": "\(field("C") ?? "")",
            "pg.notice": "\(message.trimmingCharacters(in: .whitespacesAndNewlines))",
        ])
    }
}
