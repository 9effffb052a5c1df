/// Turns journal field values, which are arbitrary bytes, into text that is safe to match,
/// log and send.
///
/// Valid UTF-8 without control characters is kept as it is, except that newline and tab
/// stay because stack traces need them. Every other control byte (including NUL, CR and
/// DEL) and every byte of an invalid UTF-8 sequence becomes `\xNN`. A value is never
/// dropped: the worst case is a fully escaped string.
enum JournalFieldText {
    /// Splits `NAME=value` into the field name and its safe text, truncating the value to
    /// `maxBytes` bytes. Returns nil when the data has no `=`, which journald never writes.
    static func split(_ data: UnsafeRawBufferPointer, maxBytes: Int) -> (String, String)? {
        let bytes = data.bindMemory(to: UInt8.self)
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<equals]), as: UTF8.self)
        let value = UnsafeBufferPointer(rebasing: bytes[(equals + 1)...])
        return (name, text(value, maxBytes: maxBytes))
    }

    /// Converts a value to safe text. A value longer than `maxBytes` is cut at a character
    /// boundary and gets the suffix ` [truncated]`. The original length is not stated because
    /// sd-journal decompresses a compressed field only up to the data threshold.
    static func text(_ value: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> String {
        guard value.count > maxBytes else { return escaped(value) }
        var end = maxBytes
        // Step back over UTF-8 continuation bytes so the cut does not split a character.
        while end > 0 && end > maxBytes - 4 && value[end] & 0xC0 == 0x80 { end -= 1 }
        let kept = escaped(UnsafeBufferPointer(rebasing: value[..<end]))
        return kept + " [truncated]"
    }

    static func escaped(_ value: UnsafeBufferPointer<UInt8>) -> String {
        if value.allSatisfy(isPlainASCII) { return String(decoding: value, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(value.count + 16)
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = value.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let scalarBytes = Array(encoded)
                if scalarBytes.count == 1 && isControl(scalarBytes[0]) {
                    appendEscape(scalarBytes[0], to: &output)
                } else {
                    output.append(contentsOf: scalarBytes)
                }
                offset += scalarBytes.count
            case .error(let length):
                for byte in value[offset..<offset + length] { appendEscape(byte, to: &output) }
                offset += length
            case .emptyInput:
                return String(decoding: output, as: UTF8.self)
            }
        }
    }

    static func isPlainASCII(_ byte: UInt8) -> Bool { byte < 0x80 && !isControl(byte) }

    static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\t")) || byte == 0x7F
    }

    static func appendEscape(_ byte: UInt8, to output: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x")])
        output.append(digits[Int(byte >> 4)])
        output.append(digits[Int(byte & 0x0F)])
    }
}
