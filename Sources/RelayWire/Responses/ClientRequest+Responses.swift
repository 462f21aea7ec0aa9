extension ClientRequest {
    /// The completion tokens a Responses request may cost: its `max_output_tokens`
    /// (`defaultMaxTokens` when it sets none), at most `Usage.maxCount`. A Responses request
    /// asks for one answer.
    package func responsesCompletionBudget(default defaultMaxTokens: Int) -> Int {
        let asked = object.int("max_output_tokens").flatMap { $0 >= 1 ? $0 : nil }
        return min(asked ?? defaultMaxTokens, Usage.maxCount)
    }

    /// Bytes of a Responses request's `instructions`, which the backend reads as a system
    /// prompt: part of the prompt's estimate.
    package var instructionsBytes: Int {
        object.member("instructions")?.valueRange.count ?? 0
    }
}
