/// Decides which models a principal may use. `/v1/models` and every model request ask this one
/// function, so what a key can list and what it can call never disagree.
enum ModelPolicy {
    static func allows(_ principal: Principal, model: String) -> Bool {
        principal.scopes?.contains(model) ?? true
    }
}
