package enum RelayVersion { package static let current = "0.1.0" }
