import HTTPTypes

/// The field names that cross Relay on nearly every request and answer, matched without
/// building their lowercase form.
///
/// `HTTPField.Name(_:)` lowercases and validates every name into a new string; a name that
/// arrives as one of these (in any case) gets the ready-made one instead, spelled in lowercase
/// from then on (when forwarded too: field names compare without case, and HTTP/2 requires it).
package enum CommonFieldNames {
    private static let names: [HTTPField.Name] = [
        .contentType, .contentLength, .authorization, .accept, .userAgent, .acceptEncoding, .connection,
        .transferEncoding, .date, .server, .cacheControl, .contentEncoding, .vary, .setCookie, .expect,
        .xRequestID, .traceparent, .tracestate, .xForwardedFor,
    ]
    private static let lowercase = FieldNameSet(names.map(\.canonicalName))

    /// The ready-made name `raw` spells, ignoring ASCII case; `nil` for any other name.
    static func name(_ raw: String) -> HTTPField.Name? {
        lowercase.position(of: raw).map { names[$0] }
    }

    /// The ready-made name the bytes `raw` spell, ignoring ASCII case; `nil` for any other name.
    package static func name(_ raw: UnsafeRawBufferPointer) -> HTTPField.Name? {
        lowercase.position(of: raw).map { names[$0] }
    }
}
