import Foundation

/// Command-line options of `centercode-sandbox`.
struct Options: Sendable {
    var configPath = ""
    var port: UInt16 = 0
    var dataDirectory = ""
    var portFile: String?
    var faultsFile: String?
    var rateLimit: Int?
    var randomFailureProbability = 0.0
    var seed: UInt64 = 1
    var tlsCertPath: String?
    var tlsKeyPath: String?
    var quiet = false
    var showHelp = false

    static let usage = """
        Usage: centercode-sandbox --config FILE --port N --data DIR [options]

        A Centercode-compatible HTTP server on 127.0.0.1 for tests and demos.

        Required:
          --config FILE          sandbox configuration (JSON); see docs/sandbox.md
          --port N               TCP port on 127.0.0.1; 0 picks a free port
          --data DIR             directory for tickets and uploaded files (created if missing)

        Options:
          --port-file PATH       write the listening port to PATH (atomically) once listening
          --faults FILE          load fault rules (JSON array) at start
          --rate-limit N         answer 429 beyond N API requests per second
          --random-failures P    give each create request probability P (0...1) of a random
                                 fault: 503, close-before-response or accept-then-drop
          --seed N               seed for --random-failures (default 1)
          --tls-cert PEM         serve HTTPS with this certificate file (needs --tls-key)
          --tls-key PEM          private key file for --tls-cert
          --quiet                do not log each request on stderr
          --help                 print this help
        """

    /// Parses the arguments after the program name.
    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var sawPort = false
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            func value() throws -> String {
                guard let next = iterator.next() else {
                    throw UsageError("Missing value for \(argument). Run with --help for usage.")
                }
                return next
            }
            switch argument {
            case "--help", "-h": options.showHelp = true
            case "--quiet": options.quiet = true
            case "--config": options.configPath = try value()
            case "--data": options.dataDirectory = try value()
            case "--port-file": options.portFile = try value()
            case "--faults": options.faultsFile = try value()
            case "--tls-cert": options.tlsCertPath = try value()
            case "--tls-key": options.tlsKeyPath = try value()
            case "--port":
                options.port = try parseNumber(try value(), argument, UInt16.self)
                sawPort = true
            case "--rate-limit":
                options.rateLimit = try parseNumber(try value(), argument, Int.self, minimum: 1)
            case "--seed":
                options.seed = try parseNumber(try value(), argument, UInt64.self)
            case "--random-failures":
                options.randomFailureProbability = try parseProbability(try value())
            default:
                throw UsageError("Unknown argument '\(argument)'. Run with --help for usage.")
            }
        }
        if !options.showHelp {
            try options.checkComplete(sawPort: sawPort)
        }
        return options
    }

    private func checkComplete(sawPort: Bool) throws {
        if configPath.isEmpty {
            throw UsageError(
                "Missing --config FILE. Pass the sandbox config (see config/sandbox.json).")
        }
        if dataDirectory.isEmpty {
            throw UsageError("Missing --data DIR. Pass a directory for tickets and uploads.")
        }
        if !sawPort {
            throw UsageError("Missing --port N. Pass a TCP port, or 0 to pick a free one.")
        }
        if (tlsCertPath == nil) != (tlsKeyPath == nil) {
            throw UsageError("--tls-cert and --tls-key must be given together.")
        }
    }

    private static func parseNumber<Number: FixedWidthInteger>(
        _ text: String, _ option: String, _ type: Number.Type, minimum: Number = 0
    ) throws -> Number {
        guard let number = Number(text), number >= minimum else {
            throw UsageError(
                "Invalid value '\(text)' for \(option): expected an integer from \(minimum) "
                    + "to \(Number.max).")
        }
        return number
    }

    private static func parseProbability(_ text: String) throws -> Double {
        guard let probability = Double(text), probability >= 0, probability <= 1 else {
            throw UsageError(
                "Invalid value '\(text)' for --random-failures: expected a probability from 0 to 1."
            )
        }
        return probability
    }
}
