/// The parts of an `/api/v1/projects/...` path.
///
/// Create: `/api/v1/projects/PROJECT/feedback/SOURCE`.
/// Upload: `/api/v1/projects/PROJECT/feedbackTypes/SOURCE/ID/fileElements/ELEMENT`.
struct APIRoute {
    struct Upload {
        var ticketId: Int
        var element: String
    }

    var project: String?
    var source: String?
    var isCreate = false
    var upload: Upload?

    init(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // A leading "/" yields an empty first part.
        guard parts.count >= 6, parts[0].isEmpty, parts[1] == "api", parts[2] == "v1",
            parts[3] == "projects", !parts[4].isEmpty, !parts[6 - 1].isEmpty
        else { return }
        if parts.count == 7, parts[5] == "feedback", !parts[6].isEmpty {
            project = parts[4]
            source = parts[6]
            isCreate = true
        } else if parts.count == 10, parts[5] == "feedbackTypes", parts[8] == "fileElements",
            !parts[6].isEmpty, !parts[9].isEmpty
        {
            project = parts[4]
            source = parts[6]
            // An id that is not a number names no ticket, so it maps to an id never issued.
            upload = Upload(ticketId: Int(parts[7]) ?? -1, element: parts[9])
        }
    }
}
