/// How far the journal has been handled, as stored in `STATE/journal.cursor`.
///
/// The file is one line. `after CURSOR` means the entry at the cursor and everything before
/// it is handled, so reading resumes with the next entry. `at CURSOR` means the entry at the
/// cursor is the first one not yet handled, because it starts a block the detector still
/// keeps open, so reading resumes with that entry itself. A bare cursor, as
/// `journalctl --cursor-file` writes it, is read as `after`.
enum JournalPosition: Equatable {
    case after(String)
    case at(String)

    var cursor: String {
        switch self {
        case .after(let cursor), .at(let cursor): cursor
        }
    }

    var fileText: String {
        switch self {
        case .after(let cursor): "after \(cursor)\n"
        case .at(let cursor): "at \(cursor)\n"
        }
    }

    /// Parses the file text; nil when it contains no cursor.
    init?(fileText: String) {
        let line = fileText.trimmed()
        if line.hasPrefix("after ") {
            self = .after(String(line.dropFirst("after ".count)))
        } else if line.hasPrefix("at ") {
            self = .at(String(line.dropFirst("at ".count)))
        } else if line.isEmpty {
            return nil
        } else {
            self = .after(line)
        }
    }

    /// The realtime timestamp in a cursor's `t=` part (hexadecimal microseconds).
    var realtime: UInt64? {
        for part in cursor.split(separator: ";") where part.hasPrefix("t=") {
            return UInt64(part.dropFirst(2), radix: 16)
        }
        return nil
    }

    static func load(from path: String) throws -> JournalPosition? {
        guard let text = try FileIO.readText(path) else { return nil }
        return JournalPosition(fileText: text)
    }

    func save(to path: String) throws {
        try DurableFile.write(fileText, to: path, mode: 0o600)
    }
}
