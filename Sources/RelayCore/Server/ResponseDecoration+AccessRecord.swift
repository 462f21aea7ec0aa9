import FoundationEssentials
import HTTPTypes
import RelayHTTP
import RelayWire

extension ResponseDecoration {
    /// The fields for the answer to the request `record` describes.
    init(_ record: AccessRecord) {
        self.init(
            requestID: record.requestID,
            backend: record.backend,
            legalBackend: HTTPField.isValidValue(record.backend)
                ? nil : HTTPField(name: .xRelayBackend, value: record.backend).withUnsafeBytesOfValue { Array($0) },
            attempts: record.attempts,
            overheadMicroseconds: record.stream ? nil : record.overhead.map { $0.nanoseconds / 1000 },
            rateLimit: record.rateLimit,
            anthropicNowMilliseconds: record.api == .messages && record.rateLimit != nil
                ? Int64(Date().timeIntervalSince1970 * 1000) : nil
        )
    }
}
