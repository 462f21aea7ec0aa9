/// Decodes a key's `limits:` and `default_limits:`; an omitted limit stays `nil`.
struct LimitsDecoder {
    let reader: ConfigReader

    func decode(_ field: ConfigField) -> Limits {
        let fields = reader.fields(of: field, known: ["rpm", "tpm", "max_parallel"])
        return Limits(
            rpm: fields["rpm"].flatMap { reader.int($0, atLeast: 1) },
            tpm: fields["tpm"].flatMap { reader.int($0, atLeast: 1) },
            maxParallel: fields["max_parallel"].flatMap { reader.int($0, atLeast: 1) }
        )
    }
}
