/// How one Centercode form parameter is filled in from a crash.
public struct ParameterSpec: Sendable {
    /// The kind of form field, which decides how the rendered value is checked and encoded.
    public enum FieldType: String, Sendable, CaseIterable {
        case text
        case singleChoice = "single_choice"
        case multipleChoice = "multiple_choice"
        case rating
    }

    public var name: String
    public var template: Template
    public var type: FieldType
    /// The form's options; a choice or rating value must equal one of them exactly.
    public var options: [String]
    /// Maps a rendered value to an option, for example `SIGSEGV` to `Critical`.
    public var valueMap: [String: String]
    /// The option used when the rendered value is not an option; without it such a value is
    /// a render error.
    public var fallback: String?
    public var required: Bool

    public init(
        name: String, template: Template, type: FieldType = .text, options: [String] = [],
        valueMap: [String: String] = [:], fallback: String? = nil, required: Bool = false
    ) {
        self.name = name
        self.template = template
        self.type = type
        self.options = options
        self.valueMap = valueMap
        self.fallback = fallback
        self.required = required
    }
}
