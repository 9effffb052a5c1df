/// Renders the status as a Prometheus text-format file for node_exporter's textfile
/// collector (`--collector.textfile.directory`).
///
/// The file is replaced atomically by `DurableFile`, so the collector never reads half a
/// file. Its temporary name starts with a dot and does not end in `.prom`, so the collector
/// skips it.
public enum MetricsWriter {
    public static func write(_ report: StatusReport, to path: String, now: Double) throws {
        // World-readable because node_exporter runs as its own user.
        try DurableFile.write(render(report, now: now), to: path, mode: 0o644)
    }

    public static func render(_ report: StatusReport, now: Double) -> String {
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Double)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples {
                text += "\(name)\(labels) \(format(value))\n"
            }
        }
        metric(
            "crashfwd_build_info", "gauge", "Always 1, labelled with the crashfwd version.",
            [("{version=\"\(escape(report.version))\"}", 1)])
        metric(
            "crashfwd_start_time_seconds", "gauge", "Unix time the daemon started.",
            [("", report.startedAt)])
        metric(
            "crashfwd_crashes_detected_total", "counter", "Crashes found in the sources.",
            [("", Double(report.crashesDetected))])
        metric(
            "crashfwd_tickets_created_total", "counter", "Tickets Centercode accepted.",
            [("", Double(report.ticketsCreated))])
        metric(
            "crashfwd_duplicates_skipped_total", "counter",
            "Crashes skipped because the same report was already queued or delivered.",
            [("", Double(report.duplicatesSkipped))])
        metric(
            "crashfwd_delivery_failures_total", "counter",
            "Failed delivery attempts by reason: network, http_STATUS or rejected.",
            report.deliveryFailures.keys.sorted().map {
                ("{reason=\"\(escape($0))\"}", Double(report.deliveryFailures[$0] ?? 0))
            })
        metric(
            "crashfwd_queue_reports", "gauge", "Reports in the queue by state.",
            report.queue.reports.keys.sorted().map {
                ("{state=\"\(escape($0))\"}", Double(report.queue.reports[$0] ?? 0))
            })
        metric(
            "crashfwd_queue_oldest_age_seconds", "gauge",
            "Age of the oldest pending report when this file was written; 0 when none is pending.",
            [("", report.queue.oldestAge(now: now))])
        metric(
            "crashfwd_destination_paused", "gauge",
            "1 while delivery to a destination is paused after the server rejected its URL or key.",
            report.destinations.map {
                ("{destination=\"\(escape($0))\"}", report.pausedDestinations[$0] == nil ? 0 : 1)
            })
        metric(
            "crashfwd_destination_request_rate", "gauge",
            "Requests per second a destination may receive while it is paced after a 429; 0 when it is not paced.",
            report.destinations.map {
                ("{destination=\"\(escape($0))\"}", report.pacedDestinations?[$0] ?? 0)
            })
        metric(
            "crashfwd_last_delivery_timestamp_seconds", "gauge",
            "Unix time of the last ticket created; 0 before the first.",
            [("", report.lastDelivery ?? 0)])
        metric(
            "crashfwd_config_reloads_total", "counter", "Config reloads on SIGHUP by result.",
            [
                ("{result=\"success\"}", Double(report.configReloads)),
                ("{result=\"failure\"}", Double(report.configReloadFailures)),
            ])
        return text
    }

    /// Escapes a label value as the text format requires: backslash, quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences("\\", with: "\\\\")
            .replacingOccurrences("\"", with: "\\\"")
            .replacingOccurrences("\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
