extension UInt8 {
    /// The byte with an ASCII capital letter made small, every other byte as it is: how HTTP
    /// field names and auth schemes compare, case aside, without building a lowercase string.
    package var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }
}
