import NIOConcurrencyHelpers

/// Metric handles by their one or two label values, each made on first use and kept: for the
/// series a request records into besides its own (spend, affinity, queue waits), where finding
/// the series in the registry by name and labels costs more than the recording. Bounded, since
/// the label values come from the config; past the bound a handle is made on each use.
///
/// ```swift
/// let spend = LabeledHandles { key, model in
///     FloatingPointCounter(label: "relay_spend_usd_total", dimensions: [("key", key), ("model", model)])
/// }
/// spend.handle("team-a", "gpt-4o").increment(by: 0.002)
/// ```
final class LabeledHandles<Handle: Sendable>: Sendable {
    private struct Labels: Hashable, Sendable {
        let first: String
        let second: String
    }

    private static var maxHandles: Int { 10_000 }
    private let handles = NIOLockedValueBox<[Labels: Handle]>([:])
    private let make: @Sendable (_ first: String, _ second: String) -> Handle

    /// - Parameter make: the handle of a series, from its label values (`second` is "" for a
    ///   series with one label).
    init(make: @escaping @Sendable (_ first: String, _ second: String) -> Handle) {
        self.make = make
    }

    func handle(_ first: String, _ second: String = "") -> Handle {
        let labels = Labels(first: first, second: second)
        if let known = handles.withLockedValue({ $0[labels] }) { return known }
        let new = make(first, second)
        handles.withLockedValue { handles in
            if handles.count < Self.maxHandles, handles[labels] == nil { handles[labels] = new }
        }
        return new
    }
}
