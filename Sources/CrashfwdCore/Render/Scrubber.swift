import CPCRE2

/// One redaction rule: every match of `pattern` is replaced by `replacement`.
public struct RedactionRule: Sendable, Equatable {
    /// A PCRE2 pattern; `(?i)` at its start makes it case-insensitive.
    public var pattern: String
    /// Replacement text: `$1`, `${1}` and `${name}` insert a group, `$$` inserts a dollar
    /// sign, and a group that did not take part in the match inserts nothing.
    public var replacement: String

    public init(pattern: String, replacement: String = "[redacted]") {
        self.pattern = pattern
        self.replacement = replacement
    }
}

/// Removes secrets and terminal control sequences from a detection before it is rendered,
/// stored in the queue or printed.
///
/// Every text the log supplied passes through two steps: `TerminalText.neutralize` removes
/// ANSI escape sequences and shows other control characters as Unicode control pictures,
/// then every rule replaces its matches. Escapes go first, so `pass\e[0mword=x` cannot hide
/// a secret from the rules. A rule that fails at match time (for example on PCRE2's match
/// limit) replaces the whole text with `[redacted: redaction rule N failed]`, so a failure
/// never lets the text through.
///
/// The compiled patterns are read-only and every substitution creates its own match data,
/// so one scrubber can be used from several threads.
public final class Scrubber: @unchecked Sendable {
    let patterns: [SubstitutionPattern]
    public let allowsCoredumpEnviron: Bool

    /// The journal field systemd-coredump fills with the crashed process's environment,
    /// which often contains tokens and passwords.
    public static let coredumpEnvironField = "COREDUMP_ENVIRON"

    /// Builds a scrubber from rules that `SubstitutionPattern.init` already checked.
    init(patterns: [SubstitutionPattern], allowCoredumpEnviron: Bool) {
        self.patterns = patterns
        self.allowsCoredumpEnviron = allowCoredumpEnviron
    }

    /// Builds a scrubber with the default rules followed by `rules`.
    ///
    /// - Throws: `Regex.CompileError` for the first rule whose pattern or replacement is
    ///   invalid.
    public convenience init(
        rules: [RedactionRule], defaults: Bool = true, allowCoredumpEnviron: Bool = false
    ) throws {
        let all = (defaults ? Scrubber.defaultRules : []) + rules
        let patterns = try all.map { try SubstitutionPattern($0) }
        self.init(patterns: patterns, allowCoredumpEnviron: allowCoredumpEnviron)
    }

    /// A scrubber with the default rules only, which keeps `COREDUMP_ENVIRON` out.
    public static let standard = Scrubber(
        patterns: defaultRules.compactMap { try? SubstitutionPattern($0) },
        allowCoredumpEnviron: false)

    /// Returns the detection with every text the log supplied scrubbed: captures, block
    /// lines, context lines and journal fields. `COREDUMP_ENVIRON` is removed unless
    /// `allowsCoredumpEnviron` is set.
    public func scrub(_ detection: Detection) -> Detection {
        var result = detection
        result.captures = detection.captures.mapValues(scrub)
        result.lines = detection.lines.map(scrub)
        result.contextBefore = detection.contextBefore.map(scrub)
        result.contextAfter = detection.contextAfter.map(scrub)
        var fields = detection.journalFields
        if !allowsCoredumpEnviron { fields[Scrubber.coredumpEnvironField] = nil }
        result.journalFields = fields.mapValues(scrub)
        return result
    }

    /// Returns `text` with control sequences neutralized and every rule applied in order.
    public func scrub(_ text: String) -> String {
        var result = TerminalText.neutralize(text)
        for (index, pattern) in patterns.enumerated() {
            switch pattern.replaceAll(in: result) {
            case .success(let replaced):
                result = replaced
            case .failure(let error):
                Log.warning(
                    "redaction rule failed; the whole text is replaced",
                    ["RULE": "\(index)", "PATTERN": pattern.rule.pattern, "ERROR": error.message])
                return "[redacted: redaction rule \(index) failed]"
            }
        }
        return Redactor.shared.redact(result)
    }
}

extension Scrubber {
    /// The rules `redact.defaults: true` adds before the configured ones.
    ///
    /// Each pattern starts only where its token starts (a lookbehind rejects a start inside
    /// a run of token characters), so a long line without a match costs linear time.
    public static let defaultRules: [RedactionRule] = [
        // `Authorization: Bearer abc`, `bearer=abc`; keeps the scheme name.
        RedactionRule(
            pattern: #"(?i)(?<![\w-])(bearer|basic|digest|token)(\s+|=)[A-Za-z0-9._~+/=-]{8,}"#,
            replacement: "$1$2[redacted]"),
        // `password=x`, `"api_key": "x"`, `DB_PASSWORD: x`, `aws_secret_access_key = x`.
        RedactionRule(
            pattern:
                #"(?i)(?<![\w.-])([\w.-]*(?:password|passwd|pwd|secret|api[_-]?key|token|access[_-]?key|credentials?))(["']?\s*[:=]\s*["']?)[^\s"'&,;]+"#,
            replacement: "$1$2[redacted]"),
        // AWS access key ids (`AKIA...`, `ASIA...`).
        RedactionRule(
            pattern:
                #"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}(?![A-Z0-9])"#,
            replacement: "[redacted-aws-key]"),
        // The password in `scheme://user:password@host`.
        RedactionRule(
            pattern: #"(?i)(?<![\w+.-])([a-z][a-z0-9+.-]*://[^\s/:@]+:)[^\s/@]+@"#,
            replacement: "$1[redacted]@"),
        // Email addresses.
        RedactionRule(
            pattern: #"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"#,
            replacement: "[redacted-email]"),
    ]
}

/// A PCRE2 pattern that replaces all of its matches with `pcre2_substitute`.
///
/// The compiled code is freed with `pcre2_code_free_8` in `deinit`.
final class SubstitutionPattern: @unchecked Sendable {
    struct MatchError: Error {
        var message: String
    }

    /// PCRE2's match limit for each match attempt of a substitution, so a pathological
    /// rule stops with an error instead of running for minutes on one line.
    static let matchLimit: UInt32 = 5_000_000

    let rule: RedactionRule
    private let code: OpaquePointer
    private let context: OpaquePointer

    init(_ rule: RedactionRule) throws {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = UInt32(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
        let compiled = rule.pattern.withCString { text in
            text.withMemoryRebound(to: UInt8.self, capacity: rule.pattern.utf8.count) { bytes in
                pcre2_compile_8(
                    bytes, rule.pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw Regex.CompileError(
                pattern: rule.pattern, offset: errorOffset, message: Regex.errorMessage(errorCode))
        }
        var groupCount: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &groupCount)
        let groupNames = Regex.readGroupNames(compiled).map(\.name)
        do {
            try SubstitutionPattern.checkReplacement(
                rule, groupCount: Int(groupCount), groupNames: groupNames)
        } catch {
            pcre2_code_free_8(compiled)
            throw error
        }
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(compiled)
            throw Regex.CompileError(pattern: rule.pattern, offset: 0, message: "out of memory")
        }
        pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        pcre2_set_match_limit_8(context, SubstitutionPattern.matchLimit)
        self.rule = rule
        self.code = compiled
        self.context = context
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_code_free_8(code)
    }

    /// Returns `text` with every match replaced, or the PCRE2 error that stopped it.
    func replaceAll(in text: String) -> Result<String, MatchError> {
        var subject = Array(text.utf8)
        let replacement = Array(rule.replacement.utf8)
        let options =
            UInt32(
                PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH
                    | PCRE2_SUBSTITUTE_UNSET_EMPTY)
        var capacity = subject.count + subject.count / 2 + 64
        // The first call reports the length it needs when the buffer is short; one retry
        // with that length always fits.
        for _ in 0..<2 {
            var output = [UInt8](repeating: 0, count: capacity)
            var length = capacity
            let result = subject.withUnsafeMutableBufferPointer { subjectBuffer in
                replacement.withUnsafeBufferPointer { replacementBuffer in
                    pcre2_substitute_8(
                        code, subjectBuffer.baseAddress, subjectBuffer.count, 0, options, nil,
                        context,
                        replacementBuffer.baseAddress, replacementBuffer.count, &output, &length)
                }
            }
            if result == 0 { return .success(text) }
            if result > 0 {
                return .success(String(decoding: output.prefix(length), as: UTF8.self))
            }
            guard result == PCRE2_ERROR_NOMEMORY, length > capacity else {
                return .failure(MatchError(message: Regex.errorMessage(result)))
            }
            capacity = length
        }
        return .failure(MatchError(message: "output length changed between two substitutions"))
    }

    /// Rejects a replacement that refers to a group the pattern lacks, or has a `$` that
    /// starts no reference, so the mistake shows at config load rather than on a crash.
    static func checkReplacement(_ rule: RedactionRule, groupCount: Int, groupNames: [String])
        throws
    {
        let text = Array(rule.replacement.unicodeScalars)
        var index = 0
        while index < text.count {
            defer { index += 1 }
            guard text[index] == "$" else { continue }
            index += 1
            let reference = readReference(text, at: &index)
            let valid: Bool
            switch reference {
            case .dollar: valid = true
            case .number(let number): valid = number <= groupCount
            case .name(let name): valid = groupNames.contains(name)
            case .invalid: valid = false
            }
            if !valid {
                throw Regex.CompileError(
                    pattern: rule.pattern, offset: 0,
                    message:
                        "replacement '\(rule.replacement)' has an invalid group reference; use $1, ${1} or ${name} for a group of the pattern and $$ for a dollar sign"
                )
            }
        }
    }

    enum Reference {
        case dollar
        case number(Int)
        case name(String)
        case invalid
    }

    /// Reads the reference after a `$`; on return `index` is at its last character.
    static func readReference(_ text: [Unicode.Scalar], at index: inout Int) -> Reference {
        guard index < text.count else { return .invalid }
        if text[index] == "$" { return .dollar }
        let braced = text[index] == "{"
        if braced { index += 1 }
        var word = ""
        while index < text.count,
            text[index].properties.isAlphabetic || text[index] == "_"
                || ("0"..."9").contains(text[index])
        {
            word.unicodeScalars.append(text[index])
            index += 1
        }
        if braced {
            guard index < text.count, text[index] == "}" else { return .invalid }
        } else {
            index -= 1
        }
        if word.isEmpty { return .invalid }
        if let number = Int(word) { return .number(number) }
        return .name(word)
    }
}
