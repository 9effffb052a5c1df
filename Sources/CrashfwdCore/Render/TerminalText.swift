/// Removes terminal control sequences from log text before it is shown in a ticket or a
/// terminal.
public enum TerminalText {
    /// Returns `text` with ANSI escape sequences removed and every other control character
    /// shown as its Unicode control picture (NUL becomes `␀`, a lone ESC `␛`, DEL `␡`).
    ///
    /// Removed: CSI sequences (`ESC [` ... final byte, and the 8-bit CSI U+009B), OSC, DCS,
    /// SOS, PM and APC strings up to BEL or `ESC \`, and two-character escapes such as
    /// `ESC c`. Kept: tab and newline. Other C1 controls (U+0080 to U+009F) become U+FFFD.
    public static func neutralize(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\u{1B}" || scalar == "\u{9B}" || scalar == "\u{9D}" {
                let end = escapeEnd(scalars, start: index)
                if end > index + 1 || scalar != "\u{1B}" {
                    index = end
                    continue
                }
            }
            output.append(visible(scalar))
            index += 1
        }
        return String(output)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (value < 0x20 && value != 0x09 && value != 0x0A) || (0x7F...0x9F).contains(value)
    }

    static func visible(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let value = scalar.value
        guard isControl(scalar) else { return scalar }
        if value < 0x20 { return Unicode.Scalar(0x2400 + value) ?? "\u{FFFD}" }
        if value == 0x7F { return "\u{2421}" }
        return "\u{FFFD}"
    }

    /// Returns the index just past the escape sequence that starts at `start`, or
    /// `start + 1` when the ESC starts no sequence.
    static func escapeEnd(_ scalars: [Unicode.Scalar], start: Int) -> Int {
        var index = start + 1
        var kind = scalars[start]
        if kind == "\u{1B}" {
            guard index < scalars.count else { return index }
            kind = scalars[index]
            index += 1
        }
        switch kind {
        case "[", "\u{9B}":
            // Parameter and intermediate bytes, then one final byte from @ to ~.
            while index < scalars.count, (0x20...0x3F).contains(scalars[index].value) { index += 1 }
            if index < scalars.count, (0x40...0x7E).contains(scalars[index].value) { index += 1 }
            return index
        case "]", "\u{9D}", "P", "X", "^", "_":
            return stringEnd(scalars, from: index)
        default:
            // A two-character escape such as `ESC c` or `ESC (`; anything else is no sequence.
            return (0x20...0x7E).contains(kind.value) ? index : start + 1
        }
    }

    /// Skips a control string to its terminator: BEL or `ESC \`, or the end of the text.
    static func stringEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while index < scalars.count {
            if scalars[index] == "\u{07}" || scalars[index] == "\u{9C}" { return index + 1 }
            if scalars[index] == "\u{1B}" {
                let next = index + 1
                return next < scalars.count && scalars[next] == "\\" ? next + 1 : index
            }
            index += 1
        }
        return index
    }
}
