/// The folding of repeats of one crash into one ticket (`detect.folding`).
public struct FoldingConfig: Sendable, Equatable {
    /// Whether folding is on; without a `detect.folding` section every crash is reported.
    public var enabled: Bool
    /// Seconds after a fingerprint's first report during which repeats are only counted.
    public var window: Double
    /// Whether a window that saw repeats ends with a summary report.
    public var summary: Bool
    /// Tickets (first reports, not summaries) allowed per hour across all fingerprints.
    public var maxTicketsPerHour: Int

    public init(
        enabled: Bool = false, window: Double = 600, summary: Bool = true,
        maxTicketsPerHour: Int = 60
    ) {
        self.enabled = enabled
        self.window = window
        self.summary = summary
        self.maxTicketsPerHour = maxTicketsPerHour
    }

    /// Reads `detect.folding`.
    static func read(_ reader: inout MappingReader) -> FoldingConfig {
        var config = FoldingConfig(enabled: true)
        config.window = reader.seconds("window", default: 600, minimum: 1)
        config.summary = reader.boolean("summary", default: true)
        config.maxTicketsPerHour = reader.integer(
            "max_tickets_per_hour", default: 60, range: 1...1_000_000)
        reader.reportUnknownKeys()
        return config
    }
}
