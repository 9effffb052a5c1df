import FoundationEssentials

/// A rendered value that does not fit the form, found before anything is sent.
public struct RenderError: Error, CustomStringConvertible, Sendable, Equatable {
    public var parameter: String
    public var message: String
    public var description: String { "parameter '\(parameter)': \(message)" }
}

/// Turns a detection into the JSON body of a create-ticket request.
public struct ReportRenderer: Sendable {
    public let destination: DestinationConfig
    public let device: DeviceFacts

    public init(destination: DestinationConfig, device: DeviceFacts) {
        self.destination = destination
        self.device = device
    }

    /// Renders every parameter, checks it against the form and returns the body's values.
    public func parameters(for detection: Detection, reportID: String) throws(RenderError)
        -> [String: JSONValue]
    {
        let variables = TemplateContext(detection: detection, device: device, reportID: reportID)
        var body: [String: JSONValue] = [:]
        for spec in destination.parameters {
            let text = spec.template.render(variables.value(of:))
            if let value = try ReportRenderer.formValue(text, spec: spec) {
                body[spec.name] = value
            }
        }
        return body
    }

    /// Returns the JSON body text, keys sorted.
    public func body(for detection: Detection, reportID: String) throws -> [UInt8] {
        try JSONCoding.encode(try parameters(for: detection, reportID: reportID))
    }

    /// Checks one rendered value against its field type; nil leaves the parameter out.
    static func formValue(_ text: String, spec: ParameterSpec) throws(RenderError) -> JSONValue? {
        switch spec.type {
        case .text:
            if text.isEmpty {
                if spec.required {
                    throw RenderError(
                        parameter: spec.name, message: "rendered empty, but the form requires it")
                }
                return nil
            }
            return .string(text)
        case .singleChoice, .rating:
            guard let option = try choose(text, spec: spec) else { return nil }
            return .string(option)
        case .multipleChoice:
            let items = text.split(separator: ",").map { String($0).trimmed() }.filter {
                !$0.isEmpty
            }
            var options: [JSONValue] = []
            for item in items {
                if let option = try choose(item, spec: spec), !options.contains(.string(option)) {
                    options.append(.string(option))
                }
            }
            if options.isEmpty && spec.required {
                throw RenderError(
                    parameter: spec.name, message: "rendered no option, but the form requires one")
            }
            return options.isEmpty ? nil : .array(options)
        }
    }

    /// Maps a value to one of the form's options exactly, or to the fallback.
    static func choose(_ text: String, spec: ParameterSpec) throws(RenderError) -> String? {
        let mapped = spec.valueMap[text] ?? text
        if spec.options.contains(mapped) { return mapped }
        if let fallback = spec.fallback { return fallback }
        if mapped.isEmpty && !spec.required { return nil }
        throw RenderError(
            parameter: spec.name,
            message:
                "'\(mapped)' is not one of the form's options \(spec.options); add it to 'map' or set a 'fallback'"
        )
    }
}

/// The values template variables resolve to for one detection.
struct TemplateContext {
    let detection: Detection
    let device: DeviceFacts
    let reportID: String

    func value(of name: String) -> String? {
        if let capture = detection.captures[name] { return capture }
        if name.hasPrefix("device.") {
            return device.variables[String(name.dropFirst("device.".count))]
        }
        if name.hasPrefix("journal.") {
            return detection.journalFields[String(name.dropFirst("journal.".count))]
        }
        switch name {
        case "matcher": return detection.matcher
        case "fingerprint": return detection.fingerprint
        case "block": return detection.lines.joined(separator: "\n")
        case "line": return detection.lines.first
        case "context":
            return (detection.contextBefore + detection.lines + detection.contextAfter)
                .joined(separator: "\n")
        case "source":
            return detection.source.hasPrefix("file:")
                ? String(detection.source.dropFirst(5)) : detection.source
        case "time": return TemplateContext.iso8601(microseconds: detection.timestamp)
        case "truncated": return detection.truncated ? "true" : "false"
        case "report_id": return reportID
        default: return nil
        }
    }

    static func iso8601(microseconds: UInt64) -> String {
        let date = Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
        return date.formatted(.iso8601)
    }
}
