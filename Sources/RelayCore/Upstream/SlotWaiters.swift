/// Requests waiting for a slot that a backend frees (a model's queue): `Backend.release`
/// offers each slot it frees to the waiters of the models it serves.
protocol SlotWaiters: AnyObject, Sendable {
    var hasWaiters: Bool { get }
    /// Hands free slots to waiters, as many as there are.
    func offer()
}
