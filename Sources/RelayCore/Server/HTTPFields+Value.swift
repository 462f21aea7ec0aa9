import HTTPTypes

extension HTTPFields {
    /// What `self[name]` gives (several fields' values joined by ", "), without its generic join
    /// when there is one field, as there nearly always is: swift-http-types builds the joined
    /// value through an unspecialised lazy map.
    func value(_ name: HTTPField.Name) -> String? {
        var value: String?
        for field in self where field.name == name {
            if value != nil { return self[name] }
            value = field.value
        }
        return value
    }
}
