import Foundation

extension Array {
    /// The elements in delivery-id order, one delivery's keeping their order: the order in which
    /// a transaction of several deliveries' work (events, fired deadlines) takes their locks, so
    /// that two such transactions lock rows in the same order and cannot deadlock.
    func inDeliveryOrder(_ deliveryId: (Element) -> UUID) -> [Element] {
        enumerated().sorted { first, second in
            let (a, b) = (deliveryId(first.element), deliveryId(second.element))
            return a == b ? first.offset < second.offset : a < b
        }.map(\.element)
    }
}
