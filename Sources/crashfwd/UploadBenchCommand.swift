import CrashfwdCore

/// Internal command for `bench/upload.sh`; it is left out of the usage text on purpose.
enum UploadBenchCommand {
    static let help = """
        Usage: crashfwd upload-bench URL FILE [PART]

        Uploads FILE once to URL (http://127.0.0.1 only) as multipart/form-data with the
        part name PART (default: file), the same way attachments are sent, then prints
        the HTTP status, bytes, seconds, MB/s and the resident set size before the upload
        and at its peak, in KiB.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = Options.parse(arguments, command: "upload-bench", help: help) else {
            return 2
        }
        let words = options.positional
        guard words.count == 2 || words.count == 3 else {
            printError(help)
            return 2
        }
        do {
            let result = try UploadBenchmark.run(
                url: words[0], filePath: words[1], partName: words.count == 3 ? words[2] : "file")
            let megabytesPerSecond = Double(result.bytes) / 1_000_000 / max(result.seconds, 0.001)
            print(
                "status=\(result.status) bytes=\(result.bytes) seconds=\(result.seconds) mb_per_second=\(megabytesPerSecond) idle_rss_kib=\(result.idleResidentKiB) peak_rss_kib=\(result.peakResidentKiB)"
            )
            return result.status / 100 == 2 ? 0 : 1
        } catch {
            printError("crashfwd upload-bench: \(error)")
            return 1
        }
    }
}
