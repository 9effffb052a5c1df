/// The whole crashfwd configuration, read from a YAML file.
public struct Config: Sendable {
    public var file: String
    public var stateDirectory: String
    public var logLevel: LogLevel
    public var files: [FileSourceConfig]
    /// The `watch.journal` section, or nil when the config has none.
    public var journal: JournalConfig?
    public var matchers: [MatcherConfig]
    public var destinations: [String: DestinationConfig]
    public var delivery: DeliveryConfig
    /// Scrubbing rules applied to captured text before rendering (`redact:`).
    public var redaction = RedactionConfig()
    /// Maximum length of a log line, in bytes; longer lines are cut and marked (`watch.max_line_bytes`).
    public var maximumLineBytes = WatchLimits.defaultMaximumLineBytes
    /// Problems that do not stop the daemon, such as a key readable by other users.
    public var warnings: [ConfigProblem]
    /// The `service:` section as read; `service` supplies the defaults when it is absent.
    public var serviceSection: ServiceConfig? = nil
    public var attach = AttachConfig()
    /// How repeats of one crash are folded (`detect.folding`).
    public var folding: FoldingConfig = FoldingConfig()
}

/// A watched log file or glob of files.
public struct FileSourceConfig: Sendable {
    public enum StartPosition: String, Sendable {
        /// Skip what is already in the file when it is first seen.
        case end
        /// Read the file from its first byte when it is first seen.
        case beginning
    }

    public var path: String
    public var startAt: StartPosition
}

/// Timing and limits of ticket delivery: the `delivery:` section.
public struct DeliveryConfig: Sendable {
    /// Seconds before the first retry; each later retry waits up to twice as long.
    public var initialBackoff: Double = 1
    /// The maximum wait between two retries, in seconds.
    public var maximumBackoff: Double = 300
    /// Seconds after boot within which the first request goes out at a random moment, so
    /// a fleet that boots together does not send at once. Five minutes spreads 200 devices
    /// with 20 queued reports each over about the time a server that accepts 20 requests per
    /// second needs for all of them anyway.
    public var startupDelay: Double = 300
    /// Maximum number of create requests sent at the same time (one delivery thread each).
    public var maximumInFlight: Int = 1
    /// Requests per second over all destinations (token bucket); 0 means no limit.
    public var rateLimit: Double = 2
    /// Seconds between requests to a destination right after it responded with 429 (or a
    /// retryable status with `Retry-After`). The rate then recovers as requests are
    /// accepted. The delivery stage caps it at `maximumBackoff`.
    public var overloadInterval: Double = 60
    /// Seconds before a destination paused by a 401, 403 or 404 is tried again; each
    /// further rejection doubles the wait, up to one hour.
    public var recheckInterval: Double = 60
    /// Seconds without a request after which the HTTP worker process exits, returning the
    /// memory libcurl takes; 0 sends from the daemon process and keeps libcurl loaded.
    public var httpWorkerIdleTimeout: Double = 30
    /// Count, size and age bounds of the queue, including `dead_retention`.
    public var limits = QueueLimits()

    public init() {}

    /// How long a rejected (4xx) report is kept as dead before it is deleted, in seconds.
    public var deadRetention: Double {
        get { limits.deadRetention }
        set { limits.deadRetention = newValue }
    }
}
