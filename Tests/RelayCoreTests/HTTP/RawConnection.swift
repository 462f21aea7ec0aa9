import Foundation

/// A client connection on a plain socket, for what an HTTP client library will not send:
/// pipelined requests, a body in pieces, a half-closed input, bytes that are not HTTP.
///
/// Reads block, so they run on a thread of their own: blocking the tasks' shared threads would
/// starve the server under test, whose connections start on them.
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    /// Connects to `url`'s port on loopback; reads give up after 5 s.
    init(url: String) throws {
        guard let port = URL(string: url)?.port else { throw RawConnectionError.badURL }
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw RawConnectionError.connectFailed }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            sent += written
        }
    }

    /// Ends what the client sends; it can still read.
    func closeOutput() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Everything the server sends until it closes the connection (or 5 s of silence).
    func readToEnd() async -> String {
        await withCheckedContinuation { answer in
            Thread { answer.resume(returning: self.blockingReadToEnd()) }.start()
        }
    }

    private func blockingReadToEnd() -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            received += chunk[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

enum RawConnectionError: Error {
    case badURL
    case connectFailed
}
