#if canImport(Glibc)
    import Glibc
#endif

/// Facts about the device that templates can use as `{{device.NAME}}`.
public struct DeviceFacts: Sendable, Codable, Equatable {
    public var hostname: String
    public var machineID: String
    public var bootID: String
    public var kernel: String
    public var os: String

    public init(hostname: String, machineID: String, bootID: String, kernel: String, os: String) {
        self.hostname = hostname
        self.machineID = machineID
        self.bootID = bootID
        self.kernel = kernel
        self.os = os
    }

    /// Template variable names (without the `device.` prefix) and their values.
    public var variables: [String: String] {
        [
            "hostname": hostname, "machine_id": machineID, "boot_id": bootID, "kernel": kernel,
            "os": os,
        ]
    }

    public static let variableNames = ["hostname", "machine_id", "boot_id", "kernel", "os"]

    /// Reads the facts of this machine; a fact that cannot be read is an empty string.
    public static func current() -> DeviceFacts {
        var name = [CChar](repeating: 0, count: 256)
        let hostname =
            gethostname(&name, name.count) == 0
            ? String(
                decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self) : ""
        var system = utsname()
        let kernel =
            uname(&system) == 0
            ? withUnsafeBytes(of: system.release) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            } : ""
        return DeviceFacts(
            hostname: hostname,
            machineID: firstLine("/etc/machine-id"),
            bootID: firstLine("/proc/sys/kernel/random/boot_id").replacingOccurrences(
                "-", with: ""),
            kernel: kernel,
            os: osReleasePrettyName())
    }

    static func firstLine(_ path: String) -> String {
        let text = (try? FileIO.readText(path)) ?? nil
        return text.map { String($0.split(separator: "\n").first ?? "") } ?? ""
    }

    static func osReleasePrettyName() -> String {
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            guard let text = (try? FileIO.readText(path)) ?? nil else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                var value = line.dropFirst("PRETTY_NAME=".count)
                if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
                    value = value.dropFirst().dropLast()
                }
                return String(value)
            }
        }
        return ""
    }
}
