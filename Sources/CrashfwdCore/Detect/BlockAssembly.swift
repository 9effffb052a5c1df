/// One line handed to the detector: the whole line, where its message starts, and the
/// record it came from.
struct LineContext {
    var line: UnsafeRawBufferPointer
    var prefix: LinePrefix
    var source: String
    var stream: String
    var fields: [String: String]
    var position: RecordPosition
    var timestamp: UInt64
    var now: Double
    /// The index of this line within its record (journal messages can have several).
    var lineOfRecord: Int
    /// Bit `i` set when matcher `i` may start a block on this line, as found by a bulk
    /// prefilter; nil checks each matcher's literals here. Matchers from index 64 on are
    /// always checked.
    var candidates: UInt64? = nil

    var message: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[prefix.messageStart...])
    }

    var text: String { String(decoding: line, as: UTF8.self) }

    /// Whether the message is empty or only spaces and tabs.
    var isBlank: Bool {
        message.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }
    }

    func prefixText(_ range: Range<Int>?) -> String? {
        guard let range else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
    }
}

extension Detector {
    /// Runs one line through the open block of its stream and then the start patterns.
    func handle(_ context: LineContext) -> [Detection] {
        lastLineStartedBlock = false
        var finished = collectContextAfter(context)
        var consumed = false
        if open[context.stream] != nil {
            consumed = extendOpenBlock(context, finished: &finished)
        }
        if !consumed {
            startBlock(context, finished: &finished)
        }
        if historyLength > 0 { remember(context) }
        return finished
    }

    /// Tries to add the line to the stream's open block. Returns whether the line was used;
    /// a line that does not continue the block closes it.
    private func extendOpenBlock(_ context: LineContext, finished: inout [Detection]) -> Bool {
        guard var block = open[context.stream] else { return false }
        let matcher = matchers[block.matcher]
        let sameRecord = context.lineOfRecord > 0 && block.position == context.position

        if context.isBlank && !sameRecord {
            if block.pendingLines.count < matcher.config.maxLines {
                block.pendingLines.append(context.text)
            }
            open[context.stream] = block
            return true
        }
        if block.ended && !sameRecord {
            return extendEndedBlock(&block, matcher, context, finished: &finished)
        }

        let endCaptures = captures(matcher.end, matcher, context)
        var joinCaptures = endCaptures
        if joinCaptures == nil {
            joinCaptures =
                matcher.continuation == nil && matcher.end != nil
                ? [:] : captures(matcher.continuation, matcher, context)
        }
        if joinCaptures == nil && sameRecord { joinCaptures = [:] }
        guard let joinCaptures else {
            open[context.stream] = nil
            finished += finish(block, stream: context.stream)
            return false
        }

        if !block.requirementMet { block.requirementMet = meetsRequirement(matcher, context) }
        let fits = block.append(context.text, captures: joinCaptures, limits: matcher.config)
        block.deadline = context.now + flushDelay(matcher, requirementMet: block.requirementMet)
        // With a chain header the block stays open after its end line, to take a chained
        // report. Within one journal record every line joins anyway.
        if endCaptures != nil && matcher.chainHeader != nil {
            block.ended = true
        }
        let closes = endCaptures != nil && !sameRecord && matcher.chainHeader == nil
        if !fits || closes {
            open[context.stream] = nil
            finished += finish(block, stream: context.stream)
        } else {
            open[context.stream] = block
        }
        return true
    }

    /// Handles a line after the end line of a matcher with a chain header. The header line
    /// is held, and a start line right after it continues the block. Any other line closes
    /// the block without the held lines and is returned unused.
    private func extendEndedBlock(
        _ block: inout OpenBlock, _ matcher: CompiledMatcher, _ context: LineContext,
        finished: inout [Detection]
    ) -> Bool {
        if !block.chainHeaderSeen, captures(matcher.chainHeader, matcher, context) != nil {
            block.pendingLines.append(context.text)
            block.chainHeaderSeen = true
            block.deadline = context.now + flushDelay(matcher, requirementMet: true)
            open[context.stream] = block
            return true
        }
        if block.chainHeaderSeen, let startCaptures = captures(matcher.start, matcher, context) {
            // The captures of the end line must come from the last report only, so drop the
            // ones the earlier report set. A later end line without them leaves them empty.
            for name in matcher.end?.groupNames ?? [] {
                block.detection.captures[name] = nil
            }
            block.ended = false
            block.chainHeaderSeen = false
            let fits = block.append(context.text, captures: startCaptures, limits: matcher.config)
            block.deadline = context.now + flushDelay(matcher, requirementMet: block.requirementMet)
            if fits {
                open[context.stream] = block
            } else {
                open[context.stream] = nil
                finished += finish(block, stream: context.stream)
            }
            return true
        }
        open[context.stream] = nil
        finished += finish(block, stream: context.stream)
        return false
    }

    /// Opens a block when a matcher's start pattern (or journal match) accepts the line.
    private func startBlock(_ context: LineContext, finished: inout [Detection]) {
        let isJournal = context.source == "journal"
        for (index, matcher) in matchers.enumerated() {
            if matcher.start != nil && !mayStart(index, matcher, context) { continue }
            if !matcher.reads(source: context.source) { continue }
            if isJournal && !matcher.accepts(fields: context.fields) { continue }
            var startCaptures: [String: String]?
            if matcher.start == nil {
                // A journal-field matcher takes the whole entry; its other patterns only
                // supply captures.
                guard isJournal && context.lineOfRecord == 0 else { continue }
                startCaptures = captures(matcher.continuation, matcher, context) ?? [:]
            } else {
                startCaptures = captures(matcher.start, matcher, context)
            }
            guard let startCaptures else { continue }
            if let previous = open.removeValue(forKey: context.stream) {
                finished += finish(previous, stream: context.stream)
            }
            open[context.stream] = makeBlock(index, matcher, context, startCaptures)
            lastLineStartedBlock = true
            return
        }
    }

    private func makeBlock(
        _ index: Int, _ matcher: CompiledMatcher, _ context: LineContext,
        _ startCaptures: [String: String]
    ) -> OpenBlock {
        var captures = startCaptures
        for (name, field) in matcher.config.journalCaptures where captures[name] == nil {
            if let value = context.fields[field] { captures[name] = value }
        }
        if matcher.config.programFromPrefix {
            if captures["program"] == nil, let program = context.prefixText(context.prefix.program),
                program != "kernel"
            {
                captures["program"] = program
                if captures["pid"] == nil, let pid = context.prefixText(context.prefix.pid) {
                    captures["pid"] = pid
                }
            }
        }
        // A first line longer than max_bytes is cut, so one huge line cannot make a huge
        // report.
        let maxLineBytes = max(0, matcher.config.maxBytes - 1)
        let cut = context.line.count > maxLineBytes
        let text =
            cut
            ? String(
                decoding: UnsafeRawBufferPointer(rebasing: context.line.prefix(maxLineBytes)),
                as: UTF8.self)
            : context.text
        var detection = Detection(
            matcher: matcher.config.name, destination: matcher.config.destination,
            source: context.source, captures: captures, lines: [text],
            contextBefore: Array(
                (history[context.stream] ?? []).suffix(matcher.config.contextBefore)),
            journalFields: context.fields, firstRecordID: context.position.id,
            timestamp: context.timestamp)
        detection.truncated = cut
        let requirementMet = meetsRequirement(matcher, context)
        return OpenBlock(
            matcher: index, detection: detection, byteCount: text.utf8.count + 1,
            requirementMet: requirementMet,
            deadline: context.now + flushDelay(matcher, requirementMet: requirementMet),
            position: context.position,
            lastCaptureWins: matcher.config.lastCaptureWins)
    }

    /// Closes a stream's block right after the record that opened it when the matcher has
    /// neither a continuation nor an end pattern, or selects journal entries by their
    /// fields alone.
    func closeSingleRecordBlock(stream: String, position: RecordPosition) -> [Detection] {
        guard let block = open[stream], block.position == position else { return [] }
        let config = matchers[block.matcher].config
        let singleRecord = config.start == nil || (config.continuation == nil && config.end == nil)
        guard singleRecord else { return [] }
        open[stream] = nil
        return finish(block, stream: stream)
    }

    /// Completes a closed block: drops it if its requirement was never met, adds static
    /// fields and the fingerprint, and either returns it or holds it for context lines.
    func finish(_ block: OpenBlock, stream: String) -> [Detection] {
        let matcher = matchers[block.matcher]
        guard block.requirementMet else { return [] }
        var detection = block.detection
        for field in matcher.config.fields where detection.captures[field.key] == nil {
            detection.captures[field.key] = field.value
        }
        detection.fingerprint = Fingerprint.compute(for: detection)
        if matcher.config.contextAfter > 0 {
            let waiting = AwaitingContext(
                detection: detection, remaining: matcher.config.contextAfter,
                deadline: block.deadline, position: block.position)
            awaiting[stream, default: []].append(waiting)
            return []
        }
        return [detection]
    }

    private func collectContextAfter(_ context: LineContext) -> [Detection] {
        guard var list = awaiting[context.stream] else { return [] }
        let text = context.text
        for index in list.indices {
            list[index].detection.contextAfter.append(text)
            list[index].remaining -= 1
        }
        let finished = list.filter { $0.remaining <= 0 }.map(\.detection)
        list.removeAll { $0.remaining <= 0 }
        awaiting[context.stream] = list.isEmpty ? nil : list
        return finished
    }

    private func mayStart(_ index: Int, _ matcher: CompiledMatcher, _ context: LineContext) -> Bool
    {
        if let candidates = context.candidates, index < 64, matcher.literals != nil {
            return candidates & (1 << UInt64(index)) != 0
        }
        return matcher.mayStart(context.line)
    }

    /// Returns the seconds a block waits for its next line. A block still missing its
    /// `require` line waits a tenth of the flush timeout. The lines that confirm a crash
    /// (a Java frame after an exception line) are written together with its first line.
    /// Ordinary lines that merely look like a start (logged exception messages) are
    /// common, so they should not hold the stream for long.
    private func flushDelay(_ matcher: CompiledMatcher, requirementMet: Bool) -> Double {
        requirementMet ? matcher.flushTimeout : matcher.flushTimeout / 10
    }

    private func meetsRequirement(_ matcher: CompiledMatcher, _ context: LineContext) -> Bool {
        guard matcher.require != nil else { return true }
        return captures(matcher.require, matcher, context) != nil
    }

    /// Matches a pattern against the line's message and, when that fails and the line has
    /// a prefix, against the whole line, so patterns written for whole syslog lines keep
    /// working. Returns nil when neither matches or a limit stopped the match (which is
    /// counted).
    private func captures(_ regex: Regex?, _ matcher: CompiledMatcher, _ context: LineContext)
        -> [String: String]?
    {
        guard let regex else { return nil }
        var outcome = regex.match(context.message)
        if outcome == .noMatch && context.prefix.messageStart > 0
            && !matcher.config.matchesMessageOnly
        {
            outcome = regex.match(context.line)
        }
        switch outcome {
        case .match(let captures): return captures
        case .noMatch: return nil
        case .limitExceeded:
            limits.record(matcher: matcher.config.name, pattern: regex.pattern)
            return nil
        }
    }

    private func remember(_ context: LineContext) {
        var lines = history[context.stream] ?? []
        lines.append(context.text)
        if lines.count > historyLength { lines.removeFirst(lines.count - historyLength) }
        history[context.stream] = lines
    }
}
