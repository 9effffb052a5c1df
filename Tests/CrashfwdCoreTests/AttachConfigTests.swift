import Testing

@testable import CrashfwdCore

@Suite struct AttachConfigTests {
    static func config(attach: String, attachments: String) -> String {
        """
        state_directory: /tmp/crashfwd-attach-config-test
        \(attach)
        detect:
          destination: sandbox
          matchers:
            - name: segfault
              pattern: 'segfault'
              attachments:
        \(attachments)
        destinations:
          sandbox:
            url: http://127.0.0.1:9
            allow_http: true
            project: p
            source: s
            api_key: k
            default_submitter: true
        """
    }

    @Test func attachSectionAndAttachmentsRead() throws {
        let text = Self.config(
            attach: """
                attach:
                  allowed_directories: [/var/lib/systemd/coredump, /var/log/myapp/]
                  max_file_bytes: 1M
                  max_upload_speed: 512K
                """,
            attachments: """
                        - element: coreDump
                          core: true
                        - element: logs
                          excerpt: true
                        - element: logs
                          files: "/var/log/myapp/*.log"
                          newest: 3
                """)
        let config = try Config.parse(text, file: "test.yaml")
        #expect(
            config.attach.allowedDirectories == ["/var/lib/systemd/coredump", "/var/log/myapp"])
        #expect(config.attach.maximumFileBytes == 1 << 20)
        #expect(config.attach.maximumUploadSpeed == 512 << 10)
        #expect(
            config.matchers.first?.attachments == [
                AttachmentSpec(element: "coreDump", content: .core),
                AttachmentSpec(element: "logs", content: .excerpt),
                AttachmentSpec(
                    element: "logs", content: .files(glob: "/var/log/myapp/*.log", newest: 3)),
            ])
    }

    @Test(arguments: [
        ("max_file_bytes: 3G", "attach.max_file_bytes"),
        ("max_file_bytes: lots", "attach.max_file_bytes"),
        ("allowed_directories: [relative/dir]", "attach.allowed_directories"),
        ("allowed_directories: [/var/log/../etc]", "attach.allowed_directories"),
    ])
    func invalidAttachSectionRejected(line: String, key: String) throws {
        let text = Self.config(
            attach: "attach:\n  \(line)",
            attachments: "        - element: logs\n          excerpt: true")
        let errors = try #require(throws: ConfigErrors.self) {
            try Config.parse(text, file: "test.yaml")
        }
        #expect(errors.problems.contains { $0.key == key }, "\(errors)")
    }

    @Test(arguments: [
        ("        - element: logs\n          files: /etc/*.conf", "attach.allowed_directories"),
        (
            "        - element: logs\n          core: true\n          excerpt: true",
            "detect.matchers[0].attachments[0]"
        ),
        (
            "        - element: 'bad/name'\n          excerpt: true",
            "detect.matchers[0].attachments[0].element"
        ),
        (
            "        - element: logs\n          excerpt: true\n          colour: red",
            "detect.matchers[0].attachments[0].colour"
        ),
    ])
    func invalidAttachmentRejected(attachments: String, key: String) throws {
        let text = Self.config(
            attach: "attach:\n  allowed_directories: [/var/log/myapp]", attachments: attachments)
        let errors = try #require(throws: ConfigErrors.self) {
            try Config.parse(text, file: "test.yaml")
        }
        #expect(errors.problems.contains { $0.key == key }, "\(errors)")
    }

    @Test func coreWithoutAllowedDirectoriesRejected() throws {
        let text = Self.config(
            attach: "", attachments: "        - element: coreDump\n          core: true")
        let errors = try #require(throws: ConfigErrors.self) {
            try Config.parse(text, file: "test.yaml")
        }
        #expect(errors.problems.contains { $0.key == "attach.allowed_directories" }, "\(errors)")
    }

    @Test(arguments: [
        ("1048576", UInt64(1_048_576)), ("512K", 512 << 10), ("100M", 100 << 20), ("2G", 2 << 30),
        ("2gb", 2 << 30), ("0", 0),
    ])
    func byteSizeParsed(text: String, bytes: UInt64) {
        #expect(parseByteSize(text) == bytes)
    }

    @Test(arguments: ["", "1.5G", "-1", "12T", "99999999999999999999G"])
    func invalidByteSizeRejected(text: String) {
        #expect(parseByteSize(text) == nil)
    }
}
