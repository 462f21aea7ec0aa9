/// A chat completion that cannot be read as one: the upstream's answer is broken, and the
/// client gets a server error instead of a guess.
package struct ChatToResponsesError: Error, Equatable {
    /// What is wrong with the answer, said without quoting it (it may name the upstream's model).
    package var reason: String

    package init(_ reason: String) {
        self.reason = reason
    }
}
