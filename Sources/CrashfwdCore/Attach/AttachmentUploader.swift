import Synchronization

/// Uploads a created report's staged attachments to its ticket, each retried on its own.
///
/// Runs on the delivery thread. Every change of an attachment's state is saved before the
/// next step, so after a restart an interrupted upload is sent again from its start. The
/// upload speed cap is process-wide and set once from the config with `configure(_:)`.
struct AttachmentUploader {
    /// Seconds between progress log lines (and progress saves) of one upload.
    static let progressInterval = 10.0
    /// An upload that sends less than 1 byte/s for this many seconds fails and is retried.
    static let stallTimeout = 60.0
    private static let maximumSpeed = Atomic<UInt64>(0)

    let policy: RetryPolicy
    let save: (Report) -> Void
    let isStopping: () -> Bool

    /// Sets the upload speed cap of every later upload, in bytes per second (0: no cap).
    static func configure(_ config: AttachConfig) {
        maximumSpeed.store(config.maximumUploadSpeed, ordering: .relaxed)
    }

    /// Attempts every due, unfinished attachment once. Returns true when all are finished;
    /// otherwise the report is saved with the time of the next attempt.
    func uploadDue(
        _ report: inout Report, destination: DestinationConfig,
        client: () throws -> any HTTPTransport,
        now: Double
    ) -> Bool {
        for index in report.attachments.indices {
            let attachment = report.attachments[index]
            guard !attachment.isFinished, attachment.nextAttemptAt <= now, !isStopping() else {
                continue
            }
            upload(&report, at: index, destination: destination, client: client)
        }
        let unfinished = report.attachments.filter { !$0.isFinished }
        guard let next = unfinished.map(\.nextAttemptAt).min() else { return true }
        report.nextAttemptAt = next
        report.updatedAt = Clock.now()
        save(report)
        return false
    }

    func upload(
        _ report: inout Report, at index: Int, destination: DestinationConfig,
        client: () throws -> any HTTPTransport
    ) {
        if let reason = rejectionBeforeUpload(report, report.attachments[index]) {
            finish(&report, at: index, state: .failed, error: reason)
            return
        }
        guard let feedbackID = report.feedbackID, let path = report.attachments[index].stagedPath
        else { return }
        report.attachments[index].state = .uploading
        report.attachments[index].attempts += 1
        report.attachments[index].bytesSent = 0
        report.updatedAt = Clock.now()
        save(report)

        let attachment = report.attachments[index]
        let fields = logFields(report, attachment)
        Log.info(
            "attachment upload started",
            fields.merging([
                "SIZE_BYTES": "\(attachment.size)", "ATTEMPT": "\(attachment.attempts)",
            ]) { $1 })
        let progress = UploadProgress(
            report: report, index: index, save: save, fields: fields, isStopping: isStopping)
        let started = Clock.monotonic()
        let response: HTTPResponse
        do {
            response = try client().postFile(
                url: destination.uploadURL(feedbackID: feedbackID, element: attachment.element),
                partName: destination.filePartName, filePath: path, fileName: attachment.fileName,
                contentType: AttachmentUploader.contentType(of: attachment.fileName),
                maximumSpeed: AttachmentUploader.maximumSpeed.load(ordering: .relaxed),
                stallTimeout: AttachmentUploader.stallTimeout, progress: progress.update)
        } catch {
            report.attachments[index].bytesSent = progress.fileBytesSent
            handleTransportError(&report, at: index, error: error, stopped: isStopping())
            return
        }
        report.attachments[index].bytesSent = progress.fileBytesSent
        handle(response, &report, at: index, seconds: Clock.monotonic() - started)
    }

    /// Returns why an attachment can never be uploaded, or nil when it can be tried.
    func rejectionBeforeUpload(_ report: Report, _ attachment: Attachment) -> String? {
        if report.feedbackID == nil {
            return "the create answer had no feedback id, so there is no ticket to attach to"
        }
        guard let path = attachment.stagedPath, FileIO.exists(path) else {
            return "the staged copy \(attachment.stagedPath ?? "(none)") is missing from the queue"
        }
        if !report.fileElements.isEmpty && report.fileElements[attachment.element] == nil {
            let known = report.fileElements.keys.sorted().joined(separator: ", ")
            return
                "the ticket has no file element '\(attachment.element)'; it has: \(known). Fix 'element' in the matcher's attachments"
        }
        return nil
    }

    func handle(_ response: HTTPResponse, _ report: inout Report, at index: Int, seconds: Double) {
        let attachment = report.attachments[index]
        switch RetryPolicy.classify(status: response.status) {
        case .success:
            report.attachments[index].bytesSent = attachment.size
            finish(&report, at: index, state: .done, error: nil)
            let rate = Double(attachment.size) / max(seconds, 0.001)
            Log.info(
                "attachment uploaded",
                logFields(report, attachment).merging([
                    "SIZE_BYTES": "\(attachment.size)", "SECONDS": formatted(seconds),
                    "BYTES_PER_SECOND": "\(Int(rate))", "HTTP_STATUS": "\(response.status)",
                ]) { $1 })
        case .transient, .endpointRejected:
            let retryAfter = RetryPolicy.retryAfterSeconds(
                response.headers["retry-after"], now: Clock.now())
            retryLater(
                &report, at: index, error: ServerAnswer.describe(response), retryAfter: retryAfter)
        case .permanent:
            finish(&report, at: index, state: .failed, error: ServerAnswer.describe(response))
        }
    }

    func handleTransportError(
        _ report: inout Report, at index: Int, error: any Error, stopped: Bool
    ) {
        guard stopped else {
            retryLater(&report, at: index, error: "\(error)", retryAfter: nil)
            return
        }
        // Cut short by a stop or a reload: not a failure, so the next delivery thread (after
        // the restart, or at once after a reload) sends it again.
        report.attachments[index].state = .pending
        report.attachments[index].attempts -= 1
        report.attachments[index].nextAttemptAt = 0
        Log.info(
            "attachment upload interrupted by a stop or reload; it is sent again from its start",
            logFields(report, report.attachments[index]))
    }

    func retryLater(_ report: inout Report, at index: Int, error: String, retryAfter: Double?) {
        let attachment = report.attachments[index]
        let delay = policy.delay(afterAttempt: attachment.attempts, retryAfter: retryAfter)
        report.attachments[index].state = .pending
        report.attachments[index].nextAttemptAt = Clock.now() + delay
        report.attachments[index].lastError = Redactor.shared.redact(error)
        Log.warning(
            "attachment upload failed, will retry",
            logFields(report, attachment).merging([
                "ATTEMPT": "\(attachment.attempts)", "RETRY_IN_SECONDS": formatted(delay),
                "ERROR": error, "SENT_BYTES": "\(report.attachments[index].bytesSent)",
            ]) { $1 })
    }

    func finish(_ report: inout Report, at index: Int, state: Attachment.State, error: String?) {
        report.attachments[index].state = state
        report.attachments[index].lastError = error.map { Redactor.shared.redact($0) }
        report.updatedAt = Clock.now()
        save(report)
        if let error {
            Log.error(
                "attachment upload rejected and will not be retried",
                logFields(report, report.attachments[index]).merging(["ERROR": error]) { $1 })
        }
    }

    func logFields(_ report: Report, _ attachment: Attachment) -> [String: String] {
        [
            "REPORT_ID": report.id, "FEEDBACK_ID": report.feedbackID ?? "",
            "ELEMENT": attachment.element, "FILE": attachment.fileName, "ORIGIN": attachment.origin,
        ]
    }

    static func contentType(of fileName: String) -> String {
        if fileName.hasSuffix(".gz") { return "application/gzip" }
        if fileName.hasSuffix(".zst") { return "application/zstd" }
        if fileName.hasSuffix(".txt") { return "text/plain" }
        return "application/octet-stream"
    }
}

func formatted(_ seconds: Double) -> String {
    String(Double(Int(seconds * 10)) / 10)
}

/// Follows one upload: logs progress and saves the bytes sent every `progressInterval`
/// seconds, and makes libcurl abort when the daemon stops.
final class UploadProgress {
    private var report: Report
    private let index: Int
    private let save: (Report) -> Void
    private let fields: [String: String]
    private let isStopping: () -> Bool
    private let started = Clock.monotonic()
    private var lastLog = Clock.monotonic()
    /// Bytes sent so far, at most the file size. The count includes the few hundred bytes
    /// of multipart headers, so it runs slightly ahead of the file itself.
    private(set) var fileBytesSent: UInt64 = 0

    init(
        report: Report, index: Int, save: @escaping (Report) -> Void, fields: [String: String],
        isStopping: @escaping () -> Bool
    ) {
        self.report = report
        self.index = index
        self.save = save
        self.fields = fields
        self.isStopping = isStopping
    }

    /// Receives libcurl's progress; returns true to abort the transfer.
    func update(sent: UInt64, total: UInt64) -> Bool {
        let size = report.attachments[index].size
        fileBytesSent = min(size, sent)
        let now = Clock.monotonic()
        if now - lastLog >= AttachmentUploader.progressInterval {
            lastLog = now
            report.attachments[index].bytesSent = fileBytesSent
            save(report)
            let rate = Double(fileBytesSent) / max(now - started, 0.001)
            Log.info(
                "attachment upload progress",
                fields.merging([
                    "SENT_BYTES": "\(fileBytesSent)", "SIZE_BYTES": "\(size)",
                    "BYTES_PER_SECOND": "\(Int(rate))",
                ]) { $1 })
        }
        return isStopping()
    }
}
