import Foundation
import Testing

/// The Debian package built by scripts/build-deb.sh, from the debug binary so the test
/// needs no release build (`make deb` packages the release binary).
@Suite struct ServicePackageTests {
    /// Every file the package installs, as docs/service.md lists them.
    static let expectedFiles = [
        "usr/sbin/crashfwd",
        "lib/systemd/system/crashfwd.service",
        "usr/lib/sysusers.d/crashfwd.conf",
        "usr/lib/tmpfiles.d/crashfwd.conf",
        "etc/crashfwd/crashfwd.yaml",
        "usr/share/man/man8/crashfwd.8.gz",
        "usr/share/man/man5/crashfwd.yaml.5.gz",
        "usr/share/doc/crashfwd/service.md",
        "usr/share/doc/crashfwd/README.md",
    ]

    /// The package, built once for all tests of this suite; its directory lives as long as
    /// the test process. Swift initializes a static property once, under a lock, and the
    /// value is never changed afterwards.
    nonisolated(unsafe) static let built:
        Result<(directory: TemporaryDirectory, package: String), Error> = Result {
            let directory = try TemporaryDirectory(prefix: "crashfwd-deb")
            let root = repositoryRoot()
            let result = try runProgram(
                "\(root)/scripts/build-deb.sh",
                [
                    "--binary", Binaries.path("crashfwd"), "--output", directory.path,
                    "--allow-dynamic-swift",
                ],
                directory: root)
            guard result.status == 0 else {
                throw TestSupportError("build-deb.sh failed:\n\(result.output)")
            }
            let package = result.output.split(separator: "\n").last.map(String.init) ?? ""
            return (directory, package)
        }

    func buildPackage(into directory: TemporaryDirectory) throws -> String {
        try Self.built.get().package
    }

    @Test func packageListsExpectedFiles() throws {
        let directory = try TemporaryDirectory(prefix: "crashfwd-deb")
        let package = try buildPackage(into: directory)
        #expect(package.hasSuffix(".deb"))
        #expect(URL(fileURLWithPath: package).lastPathComponent.hasPrefix("crashfwd_"))
        let listing = try runProgram("/usr/bin/dpkg-deb", ["-c", package])
        #expect(listing.status == 0)
        for file in Self.expectedFiles {
            #expect(
                listing.output.contains("./\(file)\n"), "\(file) missing from\n\(listing.output)")
        }
        #expect(listing.output.contains("root/root"))
        #expect(listing.output.hasPrefix("drwxr-xr-x root/root"), "\(listing.output.prefix(80))")
    }

    @Test func packageControlAndScripts() throws {
        let directory = try TemporaryDirectory(prefix: "crashfwd-deb")
        let package = try buildPackage(into: directory)
        let control = try runProgram("/usr/bin/dpkg-deb", ["-f", package, "Depends"])
        for library in [
            "libsystemd0", "libcurl4", "libpcre2-8-0", "libyaml-0-2", "zlib1g", "systemd",
        ] {
            #expect(
                control.output.contains(library),
                "\(library) missing from Depends: \(control.output)")
        }
        let extracted = directory.file("control")
        #expect(try runProgram("/usr/bin/dpkg-deb", ["-e", package, extracted]).status == 0)
        let conffiles = try String(contentsOfFile: "\(extracted)/conffiles", encoding: .utf8)
        #expect(conffiles == "/etc/crashfwd/crashfwd.yaml\n")
        let postinst = try String(contentsOfFile: "\(extracted)/postinst", encoding: .utf8)
        #expect(postinst.contains("systemd-sysusers crashfwd.conf"))
        #expect(postinst.contains("systemd-tmpfiles --create crashfwd.conf"))
        #expect(!postinst.contains("systemctl enable"), "the package must not enable the service")
        #expect(!postinst.contains("systemctl start"), "the package must not start the service")
    }

    @Test func extractedTreeMatchesUnit() throws {
        let directory = try TemporaryDirectory(prefix: "crashfwd-deb")
        let package = try buildPackage(into: directory)
        let root = directory.file("root")
        #expect(try runProgram("/usr/bin/dpkg", ["-x", package, root]).status == 0)
        for file in Self.expectedFiles {
            #expect(FileManager.default.fileExists(atPath: "\(root)/\(file)"), "\(file)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: "\(root)/usr/sbin/crashfwd"))
        let version = try runProgram("\(root)/usr/sbin/crashfwd", ["version"])
        #expect(version.output.hasPrefix("crashfwd "))
        let unit = try String(
            contentsOfFile: "\(root)/lib/systemd/system/crashfwd.service", encoding: .utf8)
        #expect(
            unit.contains("ExecStart=/usr/sbin/crashfwd run --config /etc/crashfwd/crashfwd.yaml"))
        #expect(unit.contains("LoadCredential=centercode-api-key:"))
        let config = try String(
            contentsOfFile: "\(root)/etc/crashfwd/crashfwd.yaml", encoding: .utf8)
        #expect(config.contains("api_key_credential: centercode-api-key"))
    }
}
