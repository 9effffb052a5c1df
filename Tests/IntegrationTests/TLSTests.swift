import Foundation
import Testing

/// Certificate checks against the sandbox serving HTTPS on 127.0.0.1 with throwaway
/// certificates made by `openssl`.
@Suite(.serialized)
struct TLSTests {
    @Test func selfSignedRejectedByDefault() throws {
        let certificates = try TestCertificates()
        let sandbox = try certificates.sandbox(certificate: "self")
        let crashfwd = try CrashfwdProcess(config: CrashfwdProcess.config(sandbox: sandbox))
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 9101)])

        try waitUntil("a delivery attempt fails") { crashfwd.log.contains("delivery failed") }
        crashfwd.stop()
        #expect(crashfwd.log.contains("SSL certificate problem"))
        #expect(try sandbox.tickets().isEmpty)
        #expect(try sandbox.requests().isEmpty)
    }

    @Test func selfSignedAcceptedWithCAFile() throws {
        let certificates = try TestCertificates()
        let sandbox = try certificates.sandbox(certificate: "self")
        let config = Self.config(sandbox: sandbox, caFile: certificates.file("self.pem"))
        let crashfwd = try CrashfwdProcess(config: config)
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 9102)])

        try waitUntil("the ticket is created over HTTPS") { try sandbox.tickets().count == 1 }
        crashfwd.stop()
        #expect(try sandbox.tickets().first?.parameter("description")?.contains("[9102]") == true)
    }

    @Test func caSignedAcceptedWithCAFile() throws {
        let certificates = try TestCertificates()
        let sandbox = try certificates.sandbox(certificate: "server")
        let crashfwd = try CrashfwdProcess(
            config: Self.config(sandbox: sandbox, caFile: certificates.file("ca.pem")))
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 9103)])

        try waitUntil("the ticket is created over HTTPS") { try sandbox.tickets().count == 1 }
        crashfwd.stop()
    }

    @Test(arguments: [
        ("expired", "certificate has expired"),
        ("wronghost", "no alternative certificate subject name matches"),
    ])
    func invalidCertificateRejected(_ name: String, _ curlMessage: String) throws {
        let certificates = try TestCertificates()
        let sandbox = try certificates.sandbox(certificate: name)
        let crashfwd = try CrashfwdProcess(
            config: Self.config(sandbox: sandbox, caFile: certificates.file("ca.pem")))
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 9104)])

        try waitUntil("a delivery attempt fails") { crashfwd.log.contains("delivery failed") }
        crashfwd.stop()
        #expect(crashfwd.log.contains(curlMessage))
        #expect(try sandbox.tickets().isEmpty)
        #expect(try sandbox.requests().isEmpty)
    }

    /// Only check-config runs here, so nothing is sent to the non-loopback host.
    @Test func plainHTTPToRemoteHostWarns() throws {
        let sandbox = try SandboxServer()
        let config = CrashfwdProcess.config(sandbox: sandbox)
            .replacingOccurrences(of: sandbox.baseURL, with: "http://centercode.example")
        let crashfwd = try CrashfwdProcess(config: config)
        let result = try crashfwd.command(["check-config"])
        #expect(result.status == 0)
        #expect(
            result.output.contains(
                "warning: destinations.sandbox.url: plain HTTP to a host that is not loopback"))
        #expect(try sandbox.requests().isEmpty)
    }

    @Test func plainHTTPToLoopbackDoesNotWarn() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: CrashfwdProcess.config(sandbox: sandbox))
        let result = try crashfwd.command(["check-config"])
        #expect(result.status == 0)
        #expect(!result.output.contains("warning"))
    }

    @Test func clientCertificatePresented() throws {
        let certificates = try TestCertificates()
        let server = try HelperServer(
            mode: "mtls", certificates.file("server.pem"), certificates.file("server.key"),
            certificates.file("ca.pem"))
        let sandbox = try SandboxServer()
        let base = Self.config(sandbox: sandbox, caFile: certificates.file("ca.pem"))
            .replacingOccurrences(of: sandbox.baseURL, with: server.baseURL)
        let withoutCertificate = try CrashfwdProcess(config: base)
        try withoutCertificate.start()
        try withoutCertificate.append([CrashfwdProcess.segfaultLine(pid: 9105)])
        try waitUntil("a delivery attempt fails") {
            withoutCertificate.log.contains("delivery failed")
        }
        withoutCertificate.stop()
        #expect(server.log.isEmpty)

        let clientOptions = """
                ca_file: \(certificates.file("ca.pem"))
                client_certificate: \(certificates.file("client.pem"))
                client_key: \(certificates.file("client.key"))

            """
        let withCertificate = try CrashfwdProcess(
            config: base.replacingOccurrences(
                of: "    ca_file: \(certificates.file("ca.pem"))\n", with: clientOptions))
        try withCertificate.start()
        try withCertificate.append([CrashfwdProcess.segfaultLine(pid: 9106)])
        try waitUntil("the server receives a request") { server.log.contains("POST") }
        withCertificate.stop()
        #expect(server.log.contains("client=crashfwd test client"))
    }

    @Test(arguments: ["config", "environment"])
    func proxyCarriesRequests(_ origin: String) throws {
        let certificates = try TestCertificates()
        let sandbox = try certificates.sandbox(certificate: "server")
        let proxy = try HelperServer(mode: "proxy")
        var config = Self.config(sandbox: sandbox, caFile: certificates.file("ca.pem"))
        if origin == "config" {
            config = config.replacingOccurrences(
                of: "    ca_file:", with: "    proxy: \(proxy.baseURL)\n    ca_file:")
        }
        let crashfwd = try CrashfwdProcess(config: config)
        if origin == "environment" { crashfwd.environment["https_proxy"] = proxy.baseURL }
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 9107)])

        try waitUntil("the ticket is created through the proxy") {
            try sandbox.tickets().count == 1
        }
        crashfwd.stop()
        #expect(proxy.log.contains("CONNECT 127.0.0.1:\(sandbox.port)"))
    }

    @Test func noProxyBypassesProxy() throws {
        let certificates = try TestCertificates()
        let sandbox = try certificates.sandbox(certificate: "server")
        let proxy = try HelperServer(mode: "proxy")
        let crashfwd = try CrashfwdProcess(
            config: Self.config(sandbox: sandbox, caFile: certificates.file("ca.pem")))
        crashfwd.environment["https_proxy"] = proxy.baseURL
        crashfwd.environment["no_proxy"] = "127.0.0.1"
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 9108)])

        try waitUntil("the ticket is created directly") { try sandbox.tickets().count == 1 }
        crashfwd.stop()
        #expect(proxy.log.isEmpty)
    }

    static func config(sandbox: SandboxServer, caFile: String) -> String {
        CrashfwdProcess.config(sandbox: sandbox)
            .replacingOccurrences(of: "    allow_http: true\n", with: "    ca_file: \(caFile)\n")
    }
}

/// Throwaway certificates for 127.0.0.1 in a temporary directory. `ca` signs `server`,
/// `client`, `expired` (valid only in January 2020) and `wronghost` (issued for another
/// name). `self` is self-signed.
struct TestCertificates {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "crashfwd-tls")
        let subjectAltName = "subjectAltName=IP:127.0.0.1"
        try openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=crashfwd test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=keyCertSign,cRLSign",
            "-keyout", file("ca.key"), "-out", file("ca.pem"))
        try openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", subjectAltName, "-keyout", file("self.key"), "-out", file("self.pem"))
        try signed("server", subjectAltName: subjectAltName)
        try signed(
            "client", subjectAltName: "subjectAltName=DNS:client.example",
            subject: "/CN=crashfwd test client")
        try signed("wronghost", subjectAltName: "subjectAltName=DNS:wrong.example")
        try signed(
            "expired", subjectAltName: subjectAltName, dates: ("20200101000000Z", "20200201000000Z")
        )
    }

    func file(_ name: String) -> String { directory.file(name) }

    /// Starts a sandbox that serves HTTPS with the named certificate.
    func sandbox(certificate name: String) throws -> SandboxServer {
        try SandboxServer(extraArguments: [
            "--tls-cert", file("\(name).pem"), "--tls-key", file("\(name).key"),
        ])
    }

    /// Makes NAME.key and NAME.pem signed by the CA. `openssl ca` is used because
    /// OpenSSL 3.0 `x509 -req` cannot set a start date in the past.
    private func signed(
        _ name: String, subjectAltName: String, subject: String = "/CN=127.0.0.1",
        dates: (String, String)? = nil
    ) throws {
        try openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-addext",
            subjectAltName,
            "-keyout", file("\(name).key"), "-out", file("\(name).csr"))
        let configuration = """
            [ca]
            default_ca = test_ca
            [test_ca]
            database = \(file("index.txt"))
            new_certs_dir = \(directory.path)
            certificate = \(file("ca.pem"))
            private_key = \(file("ca.key"))
            serial = \(file("serial"))
            default_md = sha256
            default_days = 2
            policy = any_name
            copy_extensions = copy
            unique_subject = no
            [any_name]
            commonName = supplied
            """
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: file("ca.cnf")))
        if !FileManager.default.fileExists(atPath: file("index.txt")) {
            FileManager.default.createFile(atPath: file("index.txt"), contents: nil)
            try Data("01\n".utf8).write(to: URL(fileURLWithPath: file("serial")))
        }
        var arguments = [
            "ca", "-batch", "-notext", "-config", file("ca.cnf"), "-in", file("\(name).csr"),
            "-out",
            file("\(name).pem"),
        ]
        if let dates { arguments += ["-startdate", dates.0, "-enddate", dates.1] }
        try openssl(arguments)
    }

    private func openssl(_ arguments: String...) throws { try openssl(arguments) }

    private func openssl(_ arguments: [String]) throws {
        let (status, _, errors) = try HTTPClient.run("/usr/bin/openssl", arguments)
        guard status == 0 else {
            throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed: \(errors)")
        }
    }
}

/// A Python helper on 127.0.0.1 for what the sandbox cannot do. In mode `mtls` it serves
/// HTTPS, requires a client certificate signed by the given CA and returns 201 for every
/// POST. In mode `proxy` it is an HTTP CONNECT proxy that tunnels only to 127.0.0.1. Both
/// log one line per request.
final class HelperServer {
    let directory: TemporaryDirectory
    let process: Process
    let port: Int

    var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }
    let scheme: String

    var log: String {
        (try? String(contentsOfFile: directory.file("requests.log"), encoding: .utf8)) ?? ""
    }

    init(mode: String, _ arguments: String...) throws {
        directory = try TemporaryDirectory(prefix: "crashfwd-helper")
        scheme = mode == "mtls" ? "https" : "http"
        let script = directory.file("helper.py")
        try Data(HelperServer.script.utf8).write(to: URL(fileURLWithPath: script))
        FileManager.default.createFile(atPath: directory.file("requests.log"), contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments =
            [script, mode, directory.file("port"), directory.file("requests.log")] + arguments
        process.standardInput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: directory.file("helper.log"), contents: nil)
        let output = try FileHandle(
            forWritingTo: URL(fileURLWithPath: directory.file("helper.log")))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        self.process = process
        let portFile = directory.file("port")
        var port = 0
        try waitUntil("the \(mode) helper listens", timeout: 10) {
            let text = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return port > 0 || !process.isRunning
        }
        guard port > 0 else { throw TestSupportError("the \(mode) helper exited before listening") }
        self.port = port
    }

    /// Stops the helper with SIGKILL: it inherits the test runner's blocked signals, so
    /// SIGTERM would stay pending, and it has nothing to flush.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static let script = #"""
        import http.server, os, select, socket, socketserver, ssl, sys, threading

        mode, port_file, log_file = sys.argv[1:4]
        lock = threading.Lock()

        def log(line):
            with lock, open(log_file, "a") as f:
                f.write(line + "\n")

        class MutualTLS(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
                log("POST %s client=%s" % (self.path.split("?")[0], subject.get("commonName")))
                body = b'{"id": 4242}'
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Connect(socketserver.StreamRequestHandler):
            def handle(self):
                request = self.rfile.readline().decode("latin-1").split()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                if len(request) < 2 or request[0] != "CONNECT":
                    self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                host, _, port = request[1].rpartition(":")
                if host != "127.0.0.1":
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                    return
                log("CONNECT %s" % request[1])
                upstream = socket.create_connection((host, int(port)))
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                sockets = [self.connection, upstream]
                while True:
                    readable, _, _ = select.select(sockets, [], [], 30)
                    if not readable:
                        break
                    for source in readable:
                        data = source.recv(65536)
                        if not data:
                            return
                        (upstream if source is self.connection else self.connection).sendall(data)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        if mode == "mtls":
            cert, key, ca = sys.argv[4:7]
            server = Server(("127.0.0.1", 0), MutualTLS)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            context.load_verify_locations(ca)
            context.verify_mode = ssl.CERT_REQUIRED
            server.socket = context.wrap_socket(server.socket, server_side=True)
        else:
            server = Server(("127.0.0.1", 0), Connect)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#
}
