import RelayYAML

/// Decodes a key's `quotas:` and `budget:`, and the `price:` of a model, backend or fallback.
struct QuotaConfigDecoder {
    let reader: ConfigReader

    func quotas(_ field: ConfigField) -> Quotas {
        let fields = reader.fields(of: field, known: ["requests_per_day", "tokens_per_day", "tokens_per_month"])
        return Quotas(
            requestsPerDay: fields["requests_per_day"].flatMap { reader.int($0, atLeast: 1) },
            tokensPerDay: fields["tokens_per_day"].flatMap { reader.int($0, atLeast: 1) },
            tokensPerMonth: fields["tokens_per_month"].flatMap { reader.int($0, atLeast: 1) }
        )
    }

    func budget(_ field: ConfigField) -> Budget? {
        let fields = reader.fields(of: field, known: ["usd_per_month", "applies_to"])
        let usd = reader.required("usd_per_month", in: fields).flatMap { amount($0, positive: true) }
        let scope = fields["applies_to"].map { reader.choice($0, named: "applies_to", as: Budget.Scope.self) }
        guard let usd, scope != .some(nil) else { return nil }
        return Budget(usdPerMonth: usd, appliesTo: (scope ?? .all) ?? .all)
    }

    func price(_ field: ConfigField) -> Price? {
        let fields = reader.fields(of: field, known: ["input_per_mtok", "output_per_mtok"])
        let input = reader.required("input_per_mtok", in: fields).flatMap { amount($0, positive: false) }
        let output = reader.required("output_per_mtok", in: fields).flatMap { amount($0, positive: false) }
        guard let input, let output else { return nil }
        return Price(inputPerMTok: input, outputPerMTok: output)
    }

    /// A sum of US dollars: a finite number, 0 or more (more than 0 where `positive`), under a
    /// billion, so that micro-dollars stay exact in 64 bits.
    private func amount(_ field: ConfigField, positive: Bool) -> Double? {
        guard let node = reader.interpolated(field) else { return nil }
        guard node.tag == .int || node.tag == .float, let value = node.float, value.isFinite else {
            reader.report(field.path, "expected a number of US dollars, got \(reader.describe(field.node))")
            return nil
        }
        guard positive ? value > 0 : value >= 0, value < 1e9 else {
            let range = positive ? "greater than 0" : "0 or more"
            reader.report(
                field.path,
                "must be \(range) and under 1000000000, got \(reader.shown(field, node.scalar?.string ?? ""))")
            return nil
        }
        return value
    }
}
