/// A scalar: its text exactly as YAML reads it (quotes and escapes undone), with its type.
package struct YAMLScalar: Sendable {
    package let string: String
    package let tag: YAMLTag
    package let style: YAMLScalarStyle
    package let mark: YAMLMark?

    /// A scalar typed the way YAML types one written like this: plain text by what it says
    /// (`8080` is an integer), any other style or an explicit tag as given.
    package init(_ string: String, tag: YAMLTag? = nil, style: YAMLScalarStyle = .plain, mark: YAMLMark? = nil) {
        self.string = string
        self.style = style
        self.mark = mark
        switch tag {
        case nil: self.tag = YAMLImplicitTag.resolve(string)
        case YAMLTag.nonSpecific?: self.tag = .str
        case let tag?: self.tag = tag
        }
    }
}
