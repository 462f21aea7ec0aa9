/// One LibYAML parser event, copied out of the parser's memory into Swift values.
struct YAMLEvent {
    enum Kind {
        case streamStart
        case streamEnd
        case documentStart
        case documentEnd
        case alias(anchor: String)
        /// `tag` is `nil` when the scalar's type comes from its text (a plain scalar without a
        /// tag); a quoted or block scalar without a tag is text (`.str`).
        case scalar(String, anchor: String?, tag: YAMLTag?, style: YAMLScalarStyle)
        /// `tag` is `nil` without an explicit tag.
        case sequenceStart(anchor: String?, tag: YAMLTag?)
        case sequenceEnd
        case mappingStart(anchor: String?, tag: YAMLTag?)
        case mappingEnd
    }

    let kind: Kind
    /// Where the event starts in the text.
    let mark: YAMLMark
}
