/// Which ending event decides a saga's outcome when several were logged: the decision of the
/// service that owns the outcome, never the order of `occurredAt` stamps from several hosts'
/// clocks. History's status and saga-inspect's verdict both use it.
public enum SagaOutcomeRule {
    /// The ending events, the deciding one first: the delivery service's own decisions (it emits
    /// at most one, and never after a branch failed), then the branch failures it only records.
    /// `delivery.completed` is not here: it ends the saga whatever else was logged.
    public static let precedence: [EventType] = [
        .deliveryCancelled, .deliverySchedulingFailed, .accountRejected, .packageRejected, .droneAllocationFailed,
    ]

    /// The rank of an ending event type (lower decides), nil for other types.
    public static func rank(of type: EventType) -> Int? { precedence.firstIndex(of: type) }

    /// The element whose event type decides, among `candidates` (the first of equal rank).
    public static func deciding<Element>(_ candidates: [Element], type: (Element) -> EventType) -> Element? {
        candidates.enumerated()
            .compactMap { offset, element in rank(of: type(element)).map { (rank: $0, offset: offset, element: element) } }
            .min { ($0.rank, $0.offset) < ($1.rank, $1.offset) }?.element
    }

    /// Every event that gives the saga an outcome: `delivery.completed` and the ``precedence`` list.
    public static let endingEvents: Set<EventType> = Set(precedence + [.deliveryCompleted])

    /// Each forward step that a saga ending without completing must undo, with the event that
    /// undoes it (a package is cancelled, an allocated drone released).
    public static let compensations: [EventType: EventType] = [.packageCreated: .packageCancelled, .droneAllocated: .droneReleased]

    /// The compensations a saga whose logged event types are `logged` needs: none while it has no
    /// outcome or once it completed; otherwise the undoing event of every step that took effect.
    public static func compensationsNeeded(_ logged: Set<EventType>) -> Set<EventType> {
        guard !logged.contains(.deliveryCompleted), !logged.isDisjoint(with: precedence) else { return [] }
        return Set(compensations.compactMap { step, undo in logged.contains(step) ? undo : nil })
    }

    /// The compensations ``compensationsNeeded(_:)`` asks for that are not logged yet.
    public static func compensationsOwed(_ logged: Set<EventType>) -> Set<EventType> {
        compensationsNeeded(logged).subtracting(logged)
    }
}
