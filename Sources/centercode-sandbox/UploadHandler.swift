import Foundation

/// Completes a file-element upload whose body `UploadSink` has received.
struct UploadHandler {
    let service: SandboxService

    func finish(_ target: UploadTarget, sink: UploadSink) -> HTTPResponse {
        if sink.isTooLarge {
            sink.discard()
            return service.uploadTooLarge
        }
        guard let name = sink.fileName else {
            sink.discard()
            return .error(
                400,
                "Missing file part: send multipart/form-data with the file in a part named "
                    + "'\(service.config.filePartName)'.")
        }
        do {
            let sha256 = try sink.finish()
            let attachment = Attachment(
                element: target.element, name: name, size: sink.size, sha256: sha256)
            try service.store.attach(
                attachment, ticketId: target.ticketId, receivedFile: sink.temporaryPath)
            return HTTPResponse(
                status: 201,
                json: .object([
                    "element": .string(target.element), "name": .string(name),
                    "size": .integer(sink.size),
                ]))
        } catch {
            sink.discard()
            logLine("storing upload for ticket \(target.ticketId) failed: \(error)")
            return .error(500, "Storing the file failed: \(error).")
        }
    }
}
