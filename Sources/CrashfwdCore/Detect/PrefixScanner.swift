/// A cursor over one line that recognises the pieces of a log prefix. Each `skip` method
/// either consumes its piece and returns true or leaves the position unchanged.
struct PrefixScanner {
    struct Tag {
        var program: Range<Int>
        var pid: Range<Int>?
    }

    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private func byte(_ offset: Int) -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    private func isDigit(_ offset: Int) -> Bool {
        guard let value = byte(offset) else { return false }
        return value >= 0x30 && value <= 0x39
    }

    private func isLetter(_ offset: Int) -> Bool {
        guard let value = byte(offset) else { return false }
        return (value | 0x20) >= 0x61 && (value | 0x20) <= 0x7a
    }

    /// Returns the offset after a run of digits starting at `offset` (the same offset if
    /// there is none).
    private func digitsEnd(from offset: Int) -> Int {
        var end = offset
        while isDigit(end) { end += 1 }
        return end
    }

    /// Returns the offset after `HH:MM:SS` with optional fractional seconds, or nil.
    private func clockEnd(from offset: Int) -> Int? {
        var index = offset
        for part in 0..<3 {
            guard isDigit(index), isDigit(index + 1) else { return nil }
            index += 2
            if part < 2 {
                guard byte(index) == UInt8(ascii: ":") else { return nil }
                index += 1
            }
        }
        if byte(index) == UInt8(ascii: ".") || byte(index) == UInt8(ascii: ",") {
            index = digitsEnd(from: index + 1)
        }
        return index
    }

    /// Returns the offset after an ISO 8601 timestamp such as
    /// `2024-04-29T14:55:41,678628+02:00`, or nil.
    private func isoTimestampEnd(from offset: Int) -> Int? {
        let dateEnd = offset + 10
        guard dateEnd < bytes.count, digitsEnd(from: offset) == offset + 4,
            byte(offset + 4) == UInt8(ascii: "-"), byte(offset + 7) == UInt8(ascii: "-"),
            byte(dateEnd) == UInt8(ascii: "T") || byte(dateEnd) == UInt8(ascii: " "),
            var index = clockEnd(from: dateEnd + 1)
        else { return nil }
        if byte(index) == UInt8(ascii: "Z") {
            index += 1
        } else if byte(index) == UInt8(ascii: "+") || byte(index) == UInt8(ascii: "-") {
            index = digitsEnd(from: index + 1)
            if byte(index) == UInt8(ascii: ":") { index = digitsEnd(from: index + 1) }
        }
        return index
    }

    /// Returns the offset after the next space-free word, or nil at the end of the line.
    private func wordEnd(from offset: Int) -> Int? {
        var index = offset
        while let value = byte(index), value != 0x20 { index += 1 }
        return index > offset ? index : nil
    }

    /// Skips a syslog header: a timestamp and a host name, each followed by one space.
    mutating func skipSyslogHeader() -> Bool {
        var index: Int
        if let isoEnd = isoTimestampEnd(from: 0) {
            index = isoEnd
        } else {
            // `Jun 20 09:18:02`, with a space-padded day such as `Jun  2`.
            guard isLetter(0), isLetter(1), isLetter(2), byte(3) == 0x20 else { return false }
            index = byte(4) == 0x20 ? 5 : 4
            index = digitsEnd(from: index)
            guard byte(index) == 0x20, let end = clockEnd(from: index + 1) else { return false }
            index = end
        }
        guard byte(index) == 0x20, let hostEnd = wordEnd(from: index + 1),
            byte(hostEnd) == 0x20, hasTag(at: hostEnd + 1, allowBare: true)
        else { return false }
        position = hostEnd + 1
        return true
    }

    /// Skips `[ 123.456]`, `<6>[ 123.456]`, `<6>`, `[Mon Jun 20 09:18:02 2016]` or an ISO
    /// timestamp, with the space after it.
    mutating func skipKernelStyleTimestamp() -> Bool {
        if let end = isoTimestampEnd(from: 0), byte(end) == 0x20 {
            position = end + 1
            return true
        }
        var index = 0
        if byte(0) == UInt8(ascii: "<"), isDigit(1) {
            let end = digitsEnd(from: 1)
            guard byte(end) == UInt8(ascii: ">") else { return false }
            index = end + 1
        }
        position = index
        if skipBracketedTimestamp() { return true }
        return index > 0
    }

    /// Skips a kernel timestamp after a syslog tag, as in `kernel: [ 12.345] text`.
    mutating func skipKernelTimestamp() {
        _ = skipBracketedTimestamp()
    }

    /// Skips `[ 123.456]` or `[Mon Jun 20 09:18:02 2016]` at the current position.
    private mutating func skipBracketedTimestamp() -> Bool {
        guard byte(position) == UInt8(ascii: "[") else { return false }
        var index = position + 1
        if isLetter(index) {
            // dmesg -T: `[Mon Jun 20 09:18:02 2016]`.
            let limit = min(bytes.count, index + 40)
            while index < limit, bytes[index] != UInt8(ascii: "]") { index += 1 }
            guard index < limit, index - position >= 20 else { return false }
        } else {
            while byte(index) == 0x20 { index += 1 }
            let secondsEnd = digitsEnd(from: index)
            guard secondsEnd > index, byte(secondsEnd) == UInt8(ascii: ".") else { return false }
            index = digitsEnd(from: secondsEnd + 1)
            guard byte(index) == UInt8(ascii: "]") else { return false }
        }
        index += 1
        if byte(index) == 0x20 { index += 1 }
        position = index
        return true
    }

    /// Returns whether a tag (`prog[pid]: ` or, when `allowBare`, `prog: `) starts at
    /// `offset`.
    private func hasTag(at offset: Int, allowBare: Bool) -> Bool {
        tag(at: offset, allowBare: allowBare) != nil
    }

    private func tag(at offset: Int, allowBare: Bool) -> (tag: Tag, end: Int)? {
        var index = offset
        while let value = byte(index), value != 0x20, value != UInt8(ascii: "["),
            value != UInt8(ascii: ":")
        {
            index += 1
        }
        guard index > offset else { return nil }
        let program = offset..<index
        var pid: Range<Int>?
        if byte(index) == UInt8(ascii: "[") {
            let end = digitsEnd(from: index + 1)
            guard end > index + 1, byte(end) == UInt8(ascii: "]") else { return nil }
            pid = (index + 1)..<end
            index = end + 1
        } else if !allowBare {
            return nil
        }
        guard byte(index) == UInt8(ascii: ":") else { return nil }
        index += 1
        guard index == bytes.count || byte(index) == 0x20 else { return nil }
        if index < bytes.count { index += 1 }
        return (Tag(program: program, pid: pid), index)
    }

    /// Reads and skips a tag at the current position.
    mutating func readTag(allowBare: Bool) -> Tag? {
        guard let found = tag(at: position, allowBare: allowBare) else { return nil }
        position = found.end
        return found.tag
    }
}
