/// How a scalar was written. Only a plain scalar is typed by its text; any other style is text.
package enum YAMLScalarStyle: Sendable {
    case plain
    case singleQuoted
    case doubleQuoted
    /// `|`, a block whose line breaks are kept.
    case literal
    /// `>`, a block whose line breaks become spaces.
    case folded
}
