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
}
