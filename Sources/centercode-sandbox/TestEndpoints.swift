import Foundation

/// The `/sandbox/...` endpoints that tests use to inspect and steer the sandbox.
struct TestEndpoints {
    let service: SandboxService

    func handle(_ head: RequestHead, body: Data, bodyTooLarge: Bool) -> HTTPResponse {
        let path = head.path.hasSuffix("/") ? String(head.path.dropLast()) : head.path
        switch (head.method, path) {
        case ("GET", "/sandbox/tickets"):
            return HTTPResponse(status: 200, body: encodeJSON(service.store.allTickets()))
        case ("GET", "/sandbox/requests"):
            return HTTPResponse(status: 200, body: encodeJSON(service.log.records()))
        case ("GET", "/sandbox/stats"):
            return stats()
        case ("GET", "/sandbox/faults"):
            return HTTPResponse(status: 200, body: encodeJSON(service.faults.rules()))
        case ("DELETE", "/sandbox/faults"):
            service.faults.replaceRules([])
            return HTTPResponse(status: 200, body: encodeJSON([FaultRule]()))
        case ("POST", "/sandbox/faults"):
            return replaceFaults(body, bodyTooLarge: bodyTooLarge)
        default:
            break
        }
        let prefix = "/sandbox/tickets/"
        if head.method == "GET", path.hasPrefix(prefix) {
            guard let id = Int(path.dropFirst(prefix.count)),
                let ticket = service.store.ticket(id: id)
            else { return .notFound }
            return HTTPResponse(status: 200, body: encodeJSON(ticket))
        }
        return .notFound
    }

    private func stats() -> HTTPResponse {
        HTTPResponse(
            status: 200,
            json: .object([
                "requests": .integer(Int64(service.log.count)),
                "maxPerSecond": .integer(Int64(service.log.maxPerSecond)),
                "tickets": .integer(Int64(service.store.ticketCount)),
                "rejectedRateLimit": .integer(Int64(service.faults.rejectedRateLimitCount)),
            ]))
    }

    private func replaceFaults(_ body: Data, bodyTooLarge: Bool) -> HTTPResponse {
        if bodyTooLarge { return SandboxService.createBodyTooLarge }
        do {
            let rules = try FaultRule.decodeList(body)
            service.faults.replaceRules(rules)
            logLine("fault rules replaced: \(rules.count) rule(s)")
            return HTTPResponse(status: 200, body: encodeJSON(rules))
        } catch {
            return .error(400, "\(error)")
        }
    }
}
