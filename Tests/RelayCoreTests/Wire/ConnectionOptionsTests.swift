import RelayWire
import Testing

/// `ConnectionOptions`: which names a `Connection` field lists (RFC 9110 §7.6.1).
@Suite struct ConnectionOptionsTests {
    @Test func aListedNameIsFoundInAnyCaseAndAmongSpaces() {
        let options = ConnectionOptions(["keep-alive, X-Secret-Hop ,\tUpgrade", "close"])
        for name in ["x-secret-hop", "X-SECRET-HOP", "upgrade", "keep-alive", "close"] {
            #expect(options.names(name), "\(name)")
        }
    }

    @Test func aNameIsNotFoundInsideAnotherOrAcrossTheComma() {
        let options = ConnectionOptions(["keep-alive,x-a", "x-b x-c"])
        for name in ["keep", "alive", "x", "x-a,", "keep-alive,x-a", "x-b", "x-c", "", "keep-alive2"] {
            #expect(!options.names(name), "\(name)")
        }
        #expect(options.names("x-b x-c"))  // not a token, but what the member says
    }

    @Test func emptyMembersAndEmptyValuesListNothing() {
        #expect(!ConnectionOptions([]).names("a"))
        #expect(!ConnectionOptions(["", " , ,"]).names("a"))
        #expect(ConnectionOptions([" , ,a"]).names("a"))
        #expect(ConnectionOptions(["a,"]).names("a"))
    }
}
