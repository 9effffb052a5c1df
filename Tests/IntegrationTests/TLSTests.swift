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

    static func config(sandbox: SandboxServer, caFile: String) -> String {
        CrashfwdProcess.config(sandbox: sandbox)
            .replacingOccurrences(of: "    allow_http: true\n", with: "    ca_file: \(caFile)\n")
    }
}

/// A throwaway CA and server certificates for 127.0.0.1, in a temporary directory:
/// `ca`, `server` (signed by the CA), `self` (self-signed), `expired` (signed by the CA,
/// valid only in January 2020) and `wronghost` (signed by the CA for another name).
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
    private func signed(_ name: String, subjectAltName: String, dates: (String, String)? = nil)
        throws
    {
        try openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-addext",
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
