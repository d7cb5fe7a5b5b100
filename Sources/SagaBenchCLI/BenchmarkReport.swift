/// Figures collected over several runs, printed as median, min and max per line.
struct BenchmarkReport {
    private var order: [String] = []
    private var samples: [String: [Double]] = [:]

    mutating func add(_ name: String, _ value: Double) {
        if samples[name] == nil { order.append(name) }
        samples[name, default: []].append(value)
    }

    /// The median of a figure's samples.
    func median(_ name: String) -> Double? {
        guard let values = samples[name]?.sorted(), !values.isEmpty else { return nil }
        let middle = values.count / 2
        return values.count.isMultiple(of: 2) ? (values[middle - 1] + values[middle]) / 2 : values[middle]
    }

    func print() {
        let width = order.map(\.count).max() ?? 0
        Swift.print("")
        Swift.print("\("figure".padding(width))    median       min       max   runs")
        for name in order {
            let values = samples[name]!.sorted()
            Swift.print("\(name.padding(width))  \(format(median(name)!))  \(format(values.first!))  \(format(values.last!))   \(values.count)")
        }
    }

    private func format(_ value: Double) -> String {
        let text = String(Int(value.rounded()))
        return String(repeating: " ", count: max(0, 8 - text.count)) + text
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}
