/// A backend's `forward_headers`, split once when the backend is made: the exact names, and the
/// prefixes of the `prefix-*` entries.
struct ForwardedHeaderNames: Sendable {
    let names: Set<String>
    let prefixes: [String]

    /// - Parameter entries: lowercased names, or prefixes ending in `*` (checked at load).
    init(_ entries: [String]) {
        names = Set(entries.filter { !$0.hasSuffix("*") })
        prefixes = entries.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
    }

    var isEmpty: Bool { names.isEmpty && prefixes.isEmpty }

    /// Whether `name` (lowercased) is one of them.
    func contains(_ name: String) -> Bool {
        names.contains(name) || prefixes.contains { name.hasPrefix($0) }
    }
}
