import NIOCore

/// When a client connection is closed for being slow or idle.
///
/// - While no request is in progress (from the connection's start, or since the last answer
///   ended): the header deadline. It covers a request head arriving too slowly, since nothing
///   counts as a request until its head is complete, and it closes idle keep-alive connections.
/// - From a request's head to the end of its body: the body deadline, however the bytes arrive.
///   A deadline restarted by every byte would let a client trickling a byte a second hold a
///   connection and a task forever.
/// - While a request, read whole, is answered: none. A stream may last minutes.
struct ConnectionDeadlines {
    let headerTimeout: TimeAmount
    let bodyTimeout: TimeAmount
    /// Request heads read whose answer has not ended.
    private(set) var requestsInProgress = 0
    /// A request head was read and its body's end not yet.
    private(set) var readingBody = false
    /// Since when the connection has been idle, or the body being read started.
    private var since: NIODeadline

    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, now: NIODeadline) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.since = now
    }

    /// The deadline in force; `nil` while requests are answered.
    var current: NIODeadline? {
        if readingBody { return since + bodyTimeout }
        if requestsInProgress > 0 { return nil }
        return since + headerTimeout
    }

    mutating func headRead(at now: NIODeadline) {
        requestsInProgress += 1
        readingBody = true
        since = now
    }

    mutating func bodyRead(at now: NIODeadline) {
        readingBody = false
        since = now
    }

    mutating func answerEnded(at now: NIODeadline) {
        requestsInProgress = max(0, requestsInProgress - 1)
        // An answer sent before its request's body ended (a 401 on the head alone) leaves the
        // body deadline running.
        if !readingBody { since = now }
    }
}
