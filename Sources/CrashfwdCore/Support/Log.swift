import CSystemd
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Log severity, ordered like syslog priorities (debug is the most verbose).
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case debug = 7
    case info = 6
    case notice = 5
    case warning = 4
    case error = 3

    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue > rhs.rawValue }
}

/// Structured logging: a fixed message plus upper-case fields (`REPORT_ID=`, `HTTP_STATUS=`).
///
/// Under journald (`JOURNAL_STREAM` names this process's stderr) each record goes to the
/// journal with its fields and an optional `MESSAGE_ID`. Otherwise it is one plain line on
/// stderr. Every text passes through `Redactor`, so a registered secret is never written.
public enum Log {
    struct Settings {
        var level: LogLevel = .info
        var toJournal = false
    }

    static let settings = Mutex(Settings())

    /// Chooses the minimum level and whether to write to the journal.
    public static func configure(level: LogLevel) {
        let journal = stderrIsJournal()
        settings.withLock {
            $0.level = level
            $0.toJournal = journal
        }
    }

    public static var level: LogLevel { settings.withLock { $0.level } }

    public static func debug(_ message: String, _ fields: [String: String] = [:]) {
        write(.debug, message, fields)
    }

    public static func info(_ message: String, _ fields: [String: String] = [:], id: String? = nil)
    {
        write(.info, message, fields, messageID: id)
    }

    public static func notice(
        _ message: String, _ fields: [String: String] = [:], id: String? = nil
    ) {
        write(.notice, message, fields, messageID: id)
    }

    public static func warning(
        _ message: String, _ fields: [String: String] = [:], id: String? = nil
    ) {
        write(.warning, message, fields, messageID: id)
    }

    public static func error(_ message: String, _ fields: [String: String] = [:], id: String? = nil)
    {
        write(.error, message, fields, messageID: id)
    }

    static func write(
        _ level: LogLevel, _ message: String, _ fields: [String: String],
        messageID: String? = nil
    ) {
        let (minimum, toJournal) = settings.withLock { ($0.level, $0.toJournal) }
        guard level >= minimum else { return }
        let message = Redactor.shared.redact(message)
        let fields = fields.mapValues { Redactor.shared.redact($0) }
        if toJournal {
            sendToJournal(level, message, fields, messageID: messageID)
        } else {
            writeLine(level, message, fields)
        }
    }

    static func writeLine(_ level: LogLevel, _ message: String, _ fields: [String: String]) {
        var line = "\(level.name): \(message)"
        for key in fields.keys.sorted() {
            line += " \(key)=\(quoteIfNeeded(fields[key] ?? ""))"
        }
        line += "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    static func quoteIfNeeded(_ value: String) -> String {
        if value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "\n" }) {
            let escaped = value.replacingOccurrences("\\", with: "\\\\")
                .replacingOccurrences("\"", with: "\\\"")
                .replacingOccurrences("\n", with: "\\n")
            return "\"\(escaped)\""
        }
        return value
    }

    static func sendToJournal(
        _ level: LogLevel, _ message: String, _ fields: [String: String], messageID: String?
    ) {
        var entries = [
            "MESSAGE=\(message)", "PRIORITY=\(level.rawValue)", "SYSLOG_IDENTIFIER=crashfwd",
        ]
        if let messageID { entries.append("MESSAGE_ID=\(messageID)") }
        for (key, value) in fields { entries.append("\(key)=\(value)") }
        var storage = entries.map { Array($0.utf8) }
        var vectors: [iovec] = []
        for index in storage.indices {
            storage[index].withUnsafeMutableBytes { buffer in
                vectors.append(iovec(iov_base: buffer.baseAddress, iov_len: buffer.count))
            }
        }
        // The iovec pointers stay valid because `storage` is not mutated until the call returns.
        withExtendedLifetime(storage) {
            _ = sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }

    /// Reports whether stderr is the journal stream that systemd connected, as
    /// `JOURNAL_STREAM=DEVICE:INODE` documents.
    static func stderrIsJournal() -> Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else {
            return false
        }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return false
        }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
