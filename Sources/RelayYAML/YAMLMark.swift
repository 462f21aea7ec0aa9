/// Where a node or a problem starts in the text, both counted from 1 as editors show them; the
/// column counts characters (Unicode scalars), as LibYAML reads them.
package struct YAMLMark: Hashable, Sendable {
    package let line: Int
    package let column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
