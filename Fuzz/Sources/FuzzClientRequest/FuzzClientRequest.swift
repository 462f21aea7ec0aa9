// The client request body: JSONScanner, JSONString, ClientRequest, JSONObjectRewriter.
//
// Every input either parses or is refused with a message; a parsed body, rewritten the way
// the proxy rewrites it (another model, a dropped field), parses again to the same members in
// the same order with the same value bytes, except the new model and the dropped field.
@testable import FuzzedWire
@testable import RelayWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let request: ClientRequest
    do {
        request = try ClientRequest(body: body)
    } catch {
        check(!error.message.isEmpty, "a refusal without a message")
        return 0
    }
    readEveryMember(of: request.object)
    checkModelRoundTrip(request.model)
    checkRewrite(request)
    return 0
}

/// The typed accessors on every member: none may trap, whatever the value holds.
private func readEveryMember(of object: JSONObject) {
    for member in object.members {
        let key = object.key(of: member)
        check(object.member(member, hasKey: key), "member's key \(key.debugDescription) does not match itself")
        _ = object.kind(of: member.valueRange)
        _ = object.string(key)
        _ = object.int(key)
        _ = object.bool(key)
        if let nested = object.object(key) { readEveryMember(of: nested) }
        _ = object.array(key)
    }
}

/// The model name survives being written back as a JSON string literal.
private func checkModelRoundTrip(_ model: String) {
    let literal = JSONString.encode(model)
    let decoded = try? JSONString.decode(literal[1..<(literal.count - 1)])
    check(decoded == model, "model \(model.debugDescription) does not survive encode/decode")
}

private func checkRewrite(_ request: ClientRequest) {
    let object = request.object
    let newModel = request.model + "\u{0}\"\\é"
    let keys = object.members.map(object.key(of:))
    let dropped = keys.first { $0 != "model" }
    var rewriter = JSONObjectRewriter(object)
    rewriter.set("model", to: JSONString.encode(newModel))
    if let dropped { rewriter.drop(dropped) }
    let rewritten: ClientRequest
    do {
        rewritten = try ClientRequest(body: rewriter.bytes())
    } catch {
        fail("the rewritten body does not parse: \(error.message)")
    }
    check(rewritten.model == newModel, "the rewritten model is \(rewritten.model.debugDescription)")
    let expected = zip(keys, object.members).filter { $0.0 != dropped }
    let rewrittenObject = rewritten.object
    check(
        rewrittenObject.members.map(rewrittenObject.key(of:)) == expected.map(\.0), "the rewritten body has other keys")
    for ((key, old), new) in zip(expected, rewrittenObject.members) where key != "model" {
        check(
            object.bytes[old.valueRange] == rewrittenObject.bytes[new.valueRange],
            "the value of \(key.debugDescription) changed in the rewrite"
        )
    }
    check(rewritten.stream == request.stream || dropped == "stream", "stream changed in the rewrite")
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzClientRequest: \(message)")
}
