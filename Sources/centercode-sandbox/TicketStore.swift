import Foundation
import Synchronization

/// A file stored on a ticket's file element.
struct Attachment: Codable, Sendable, Equatable {
    var element: String
    var name: String
    var size: Int64
    var sha256: String
}

/// A feedback ticket as the sandbox stores it and returns it from `/sandbox/tickets`.
struct Ticket: Codable, Sendable {
    var id: Int
    var project: String
    var source: String
    var receivedAt: String
    var parameters: [String: JSONValue]
    var attachments: [Attachment]
}

/// Tickets under `DATA/tickets/ID.json` and their files under `DATA/files/ID/ELEMENT/NAME`.
///
/// Ids are sequential. On start the store loads every ticket file and continues after the
/// highest id found, or at `firstId` when there is none.
final class TicketStore: Sendable {
    private struct State {
        var tickets: [Int: Ticket] = [:]
        var nextId: Int
    }

    let dataDirectory: String
    private let state: Mutex<State>

    init(dataDirectory: String, firstId: Int) throws {
        self.dataDirectory = dataDirectory
        let fileManager = FileManager.default
        for directory in ["tickets", "files", "incoming"] {
            try fileManager.createDirectory(
                atPath: "\(dataDirectory)/\(directory)", withIntermediateDirectories: true)
        }
        var tickets: [Int: Ticket] = [:]
        let ticketDirectory = "\(dataDirectory)/tickets"
        for name in try fileManager.contentsOfDirectory(atPath: ticketDirectory)
        where name.hasSuffix(".json") {
            let path = "\(ticketDirectory)/\(name)"
            guard let data = fileManager.contents(atPath: path),
                let ticket = try? JSONDecoder().decode(Ticket.self, from: data)
            else {
                throw UsageError(
                    "Invalid ticket file '\(path)': move it away or use an empty --data directory.")
            }
            tickets[ticket.id] = ticket
        }
        let highest = tickets.keys.max() ?? (firstId - 1)
        state = Mutex(State(tickets: tickets, nextId: max(firstId, highest + 1)))
    }

    var ticketCount: Int { state.withLock { $0.tickets.count } }

    func ticket(id: Int) -> Ticket? { state.withLock { $0.tickets[id] } }

    func allTickets() -> [Ticket] {
        state.withLock { $0.tickets.values.sorted { $0.id < $1.id } }
    }

    /// Assigns the next id and stores the ticket durably before returning it.
    func create(project: String, source: String, parameters: [String: JSONValue]) throws -> Ticket {
        try state.withLock { state in
            let ticket = Ticket(
                id: state.nextId, project: project, source: source,
                receivedAt: Date().ISO8601Format(
                    .iso8601.year().month().day().time(includingFractionalSeconds: true)
                        .timeZone(separator: .omitted)),
                parameters: parameters, attachments: [])
            try write(ticket)
            state.tickets[ticket.id] = ticket
            state.nextId += 1
            return ticket
        }
    }

    /// Directory for upload bodies in progress; a finished upload is renamed out of it.
    var incomingDirectory: String { "\(dataDirectory)/incoming" }

    /// Moves a received file into place and records it, replacing any attachment with the
    /// same element and name.
    func attach(_ attachment: Attachment, ticketId: Int, receivedFile: String) throws {
        try state.withLock { state in
            guard var ticket = state.tickets[ticketId] else {
                unlink(receivedFile)
                throw SystemCallError(operation: "attach to missing ticket", path: receivedFile)
            }
            let directory = "\(dataDirectory)/files/\(ticketId)/\(attachment.element)"
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
            try renameDurably(
                from: receivedFile, to: "\(directory)/\(attachment.name)", directory: directory)
            ticket.attachments.removeAll {
                $0.element == attachment.element && $0.name == attachment.name
            }
            ticket.attachments.append(attachment)
            try write(ticket)
            state.tickets[ticketId] = ticket
        }
    }

    private func write(_ ticket: Ticket) throws {
        try writeFileAtomically(
            encodeJSON(ticket), to: "\(dataDirectory)/tickets/\(ticket.id).json")
    }
}
