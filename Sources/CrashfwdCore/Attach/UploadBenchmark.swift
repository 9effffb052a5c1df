#if canImport(Glibc)
    import Glibc
#endif

/// One file upload through `HTTPClient.postFile`, measured for `bench/upload.sh`.
public enum UploadBenchmark {
    public struct Result: Sendable {
        public var status: Int
        public var bytes: UInt64
        public var seconds: Double
        /// Resident set size just before the upload, in KiB (`VmRSS`).
        public var idleResidentKiB: Int
        /// Peak resident set size after the upload, in KiB (`VmHWM`).
        public var peakResidentKiB: Int
    }

    /// Uploads `filePath` to `url`, which must be plain HTTP to 127.0.0.1, so the benchmark
    /// cannot send a file anywhere else.
    public static func run(url: String, filePath: String, partName: String) throws -> Result {
        guard url.hasPrefix("http://127.0.0.1:") || url.hasPrefix("http://127.0.0.1/") else {
            throw AttachmentRejection(
                "upload-bench only sends to http://127.0.0.1; got '\(Redactor.shared.redact(url))'")
        }
        var info = stat()
        guard stat(filePath, &info) == 0 else { throw SystemError("stat", path: filePath) }
        let client = try HTTPClient()
        let idle = residentKiB("VmRSS:")
        let started = Clock.monotonic()
        let response = try client.postFile(
            url: url, partName: partName, filePath: filePath,
            fileName: DurableFile.baseName(of: filePath), contentType: "application/octet-stream",
            maximumSpeed: 0, stallTimeout: AttachmentUploader.stallTimeout,
            progress: { _, _ in false })
        return Result(
            status: response.status, bytes: UInt64(info.st_size),
            seconds: Clock.monotonic() - started,
            idleResidentKiB: idle, peakResidentKiB: residentKiB("VmHWM:"))
    }

    /// Reads one `/proc/self/status` line in KiB, or returns 0 when it is missing.
    static func residentKiB(_ key: String) -> Int {
        guard let text = try? FileIO.readText("/proc/self/status") else { return 0 }
        let line = text.split(separator: "\n").first { $0.hasPrefix(key) }
        return line.flatMap {
            Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        } ?? 0
    }
}
