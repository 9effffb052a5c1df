import CrashfwdCore

#if canImport(Glibc)
    import Glibc
#endif

/// `crashfwd http-worker`: the child process that `crashfwd run` sends its HTTP requests
/// through. It is not meant to be run by hand.
enum HTTPWorkerCommand {
    static let help = """
        Usage: crashfwd http-worker --socket-fd N --parent-pid PID

        Sends the HTTP requests of 'crashfwd run', which starts this command when it
        delivers a report and stops it after delivery.http_worker_idle_timeout (30 s by
        default) without a request. Keeping libcurl in this process lets the daemon give
        its memory back while idle. Requests and
        responses travel over the Unix socket N, which PID opened.
        """

    static func run(_ arguments: [String]) -> Int32 {
        var socket: Int32?
        var parent: pid_t?
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "-h", "--help":
                print(help)
                return 0
            case "--socket-fd", "--parent-pid":
                let text = rest.popFirst() ?? ""
                guard let number = Int32(text), number >= 0 else {
                    printError(
                        "crashfwd http-worker: invalid \(argument) '\(text)': expected a number\n\n\(help)"
                    )
                    return 2
                }
                if argument == "--socket-fd" { socket = number } else { parent = number }
            default:
                printError("crashfwd http-worker: unknown option '\(argument)'\n\n\(help)")
                return 2
            }
        }
        guard let socket, let parent else {
            printError("crashfwd http-worker: --socket-fd and --parent-pid are required\n\n\(help)")
            return 2
        }
        return HTTPWorkerServer.run(socket: socket, parent: parent)
    }
}
