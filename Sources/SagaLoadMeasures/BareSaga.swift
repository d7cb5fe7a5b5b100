public import Contracts

/// The completed saga's message pattern with no work of the services' own: which events each
/// service publishes on which event it consumes. `saga-bench floor` drives it through the real
/// broker topology (every queue bound as ``EventCatalog/consumers`` says), so what it costs is
/// the floor of messaging (and, optionally, of one inbox/outbox commit per batch) under this
/// choreography, below which no service code can take a saga.
public enum BareSaga {
    /// The event that starts a saga (published by ingestion).
    public static let start = EventType.deliveryRequested
    /// The event whose arrival at history ends the saga.
    public static let end = EventType.deliveryCompleted

    /// The events a delivery's happy path publishes, in saga order.
    public static let publishedTypes: [EventType] = [
        .deliveryRequested, .accountValidated, .packageCreated, .droneAllocated, .deliveryScheduled,
        .dronePickedUp, .droneDelivered, .deliveryCompleted,
    ]

    /// What one service of a bare saga remembers of each delivery: the events it has seen.
    public struct Memory: Sendable, Equatable {
        public var seen: Set<EventType> = []
        public init() {}
    }

    /// What `service` publishes on receiving `type` for a delivery, given what it saw before
    /// (updated): the happy path's reactions, with delivery joining the account's validation and
    /// the drone's allocation before scheduling, and the drone reporting pickup and drop-off at
    /// once (flights take no time).
    public static func reaction(of service: Producer, to type: EventType, memory: inout Memory) -> [EventType] {
        let firstTime = memory.seen.insert(type).inserted
        guard firstTime else { return [] }
        switch (service, type) {
        case (.account, .deliveryRequested): return [.accountValidated]
        case (.package, .deliveryRequested): return [.packageCreated]
        case (.drone, .packageCreated): return [.droneAllocated]
        case (.drone, .deliveryScheduled): return [.dronePickedUp, .droneDelivered]
        case (.delivery, .accountValidated), (.delivery, .droneAllocated):
            return memory.seen.isSuperset(of: [.accountValidated, .droneAllocated]) ? [.deliveryScheduled] : []
        case (.delivery, .droneDelivered): return [.deliveryCompleted]
        default: return []
        }
    }
}
