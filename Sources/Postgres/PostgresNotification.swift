/// A notification delivered to a connection that ran `listen(_:)` (from `NOTIFY` or `pg_notify`).
public struct PostgresNotification: Hashable, Sendable {
    /// The channel it was sent on.
    public let channel: String
    /// The payload text ("" when none was given).
    public let payload: String
    /// The process ID of the backend that sent it.
    public let senderPID: Int32

    /// Makes a notification value (the client builds these from what the server sends).
    public init(channel: String, payload: String, senderPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderPID = senderPID
    }
}
