import Foundation

/// Entry point: parse options, start the server, serve until SIGTERM or SIGINT.
func runSandbox() -> Int32 {
    let options: Options
    do {
        options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("centercode-sandbox: \(error)\n".utf8))
        return 2
    }
    if options.showHelp {
        print(Options.usage)
        return 0
    }
    // Block the stop signals before MHD starts its threads, so they inherit the mask and
    // only `sigwait` below receives them.
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGTERM)
    sigaddset(&stopSignals, SIGINT)
    pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

    let server: HTTPServer
    do {
        server = try startServer(options)
    } catch let error as UsageError {
        FileHandle.standardError.write(Data("centercode-sandbox: \(error)\n".utf8))
        return 2
    } catch {
        FileHandle.standardError.write(Data("centercode-sandbox: start failed: \(error)\n".utf8))
        return 1
    }
    var received: Int32 = 0
    sigwait(&stopSignals, &received)
    logLine("received signal \(received), stopping")
    server.stop()
    logLine("stopped")
    return 0
}

/// Loads the config, data and faults, starts listening and announces the port.
func startServer(_ options: Options) throws -> HTTPServer {
    let config = try SandboxConfig.load(path: options.configPath)
    var rules: [FaultRule] = []
    if let faultsFile = options.faultsFile {
        guard let data = FileManager.default.contents(atPath: faultsFile) else {
            throw UsageError("Cannot read faults file '\(faultsFile)': check that it exists.")
        }
        rules = try FaultRule.decodeList(data)
    }
    let store = try TicketStore(dataDirectory: options.dataDirectory, firstId: config.firstId)
    let faults = FaultInjector(
        rules: rules, randomFailureProbability: options.randomFailureProbability,
        seed: options.seed, rateLimit: options.rateLimit)
    let service = SandboxService(
        config: config, store: store, faults: faults, log: RequestLog(quiet: options.quiet))
    let (certificate, key) = try readTLSFiles(options)
    let server = HTTPServer(service: service)
    let port = try server.start(
        port: options.port, tlsCertificatePEM: certificate, tlsKeyPEM: key)
    let scheme = certificate == nil ? "http" : "https"
    service.setPublicBaseURL("\(scheme)://127.0.0.1:\(port)")
    if let portFile = options.portFile {
        try writeFileAtomically(Data("\(port)\n".utf8), to: portFile)
    }
    FileHandle.standardOutput.write(
        Data("centercode-sandbox listening on \(scheme)://127.0.0.1:\(port)\n".utf8))
    logLine(
        "serving project '\(config.project)' with \(store.ticketCount) stored ticket(s) "
            + "from '\(options.dataDirectory)', \(rules.count) fault rule(s)")
    return server
}

private func readTLSFiles(_ options: Options) throws -> (String?, String?) {
    guard let certificatePath = options.tlsCertPath, let keyPath = options.tlsKeyPath else {
        return (nil, nil)
    }
    guard let certificate = try? String(contentsOfFile: certificatePath, encoding: .utf8) else {
        throw UsageError(
            "Cannot read --tls-cert '\(certificatePath)': pass a PEM certificate file.")
    }
    guard let key = try? String(contentsOfFile: keyPath, encoding: .utf8) else {
        throw UsageError("Cannot read --tls-key '\(keyPath)': pass a PEM private key file.")
    }
    return (certificate, key)
}

exit(runSandbox())
