/// The timestamp and program tag in front of a log line's message, as syslog, `dmesg` and
/// the kernel ring buffer write them.
///
/// Presets are written for the bare message, so the detector matches the text after the
/// prefix, keeps the whole line in the block, and assembles blocks per program and pid.
/// Recognised forms, each optionally followed by a kernel `[ 123.456]` timestamp:
///
/// - `Jun 20 09:18:02 host prog[123]: text` (RFC 3164, also with fractional seconds)
/// - `2024-04-29T14:55:41.678+02:00 host prog[123]: text` (RFC 3339 syslog)
/// - `2024-04-29T14:55:41,678628+02:00 text` (`dmesg --time-format iso`)
/// - `[Mon Jun 20 09:18:02 2016] text` (`dmesg -T`)
/// - `[ 9287.734430] text` and `<6>[ 9287.734430] text` (kernel log, console)
///
/// After a kernel-style timestamp, a `comm[pid]: ` tag is taken as the program and pid.
/// After a syslog header the tag is `prog[pid]: ` or `prog: `.
public struct LinePrefix: Equatable, Sendable {
    /// Byte offset of the message in the line.
    public var messageStart: Int
    /// Byte range of the program name, when the prefix names one.
    public var program: Range<Int>?
    /// Byte range of the pid, when the prefix has one.
    public var pid: Range<Int>?

    /// Parses the prefix of one line; a line without a recognised prefix has
    /// `messageStart == 0`.
    public static func parse(_ line: UnsafeRawBufferPointer) -> LinePrefix {
        var scanner = PrefixScanner(bytes: line)
        var result = LinePrefix(messageStart: 0)
        if scanner.skipSyslogHeader() {
            result.take(scanner.readTag(allowBare: true))
            scanner.skipKernelTimestamp()
        } else if scanner.skipKernelStyleTimestamp() {
            result.take(scanner.readTag(allowBare: false))
        }
        result.messageStart = scanner.position
        return result
    }

    /// Parses the prefix of a line given as text.
    public static func parse(_ line: String) -> LinePrefix {
        var line = line
        return line.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    private mutating func take(_ tag: PrefixScanner.Tag?) {
        program = tag?.program
        pid = tag?.pid
    }

    /// Returns the key blocks are assembled under: the source alone, or the source plus
    /// the program and pid of the prefix.
    public static func streamKey(source: String, line: UnsafeRawBufferPointer, prefix: LinePrefix)
        -> String
    {
        guard let program = prefix.program else { return source }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[program]), as: UTF8.self)
        guard let pid = prefix.pid else { return "\(source)\t\(name)" }
        let number = String(decoding: UnsafeRawBufferPointer(rebasing: line[pid]), as: UTF8.self)
        return "\(source)\t\(name)[\(number)]"
    }

    /// Returns the stream key of a file line given as text, for `LogRecord.stream`.
    public static func streamKey(source: String, line: String) -> String {
        var line = line
        return line.withUTF8 { buffer in
            let bytes = UnsafeRawBufferPointer(buffer)
            return streamKey(source: source, line: bytes, prefix: parse(bytes))
        }
    }
}
