// swift-tools-version:6.0
import PackageDescription

/// Debian's -dev packages provide every C library below; `make setup` installs them.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// Release link settings of the daemon, which cut its resident memory (see the idle section of
/// docs/benchmarks.md). lld with `-z pack-relative-relocs` stores the relative relocations as
/// DT_RELR, which glibc 2.36 (Debian 12) and later read, so the dynamic loader reads 7 KiB
/// at start-up in place of an 860 KiB `.rela.dyn`. `-z nostart-stop-gc` keeps every section
/// that `__start_`/`__stop_` symbols refer to, as the Swift runtime finds its metadata that way.
/// The symbol ordering file, written by scripts/symbol-order.sh, lists the functions that run
/// at start-up, while idle and for one delivery. lld places them first in `.text`, so the
/// kernel maps fewer 64 KiB fault-around windows of code that is never run.
let daemonReleaseLinkerFlags = [
    "-use-ld=lld",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "-z", "-Xlinker", "nostart-stop-gc",
    "-Xlinker",
    "--symbol-ordering-file=\(Context.packageDirectory)/Sources/crashfwd/symbol-order.txt",
    "-Xlinker", "--no-warn-symbol-ordering",
]

let package = Package(
    name: "crashfwd",
    products: [
        .executable(name: "crashfwd", targets: ["crashfwd"]),
        .executable(name: "centercode-sandbox", targets: ["centercode-sandbox"]),
    ],
    targets: [
        systemLibrary("CSystemd", pkgConfig: "libsystemd", apt: "libsystemd-dev"),
        systemLibrary("CPCRE2", pkgConfig: "libpcre2-8", apt: "libpcre2-dev"),
        systemLibrary("CYAML", pkgConfig: "yaml-0.1", apt: "libyaml-dev"),
        systemLibrary("CMicroHTTPD", pkgConfig: "libmicrohttpd", apt: "libmicrohttpd-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        .systemLibrary(name: "CLinux"),
        // libcurl is loaded at run time (see Sources/CCurl/include/CCurl.h); its -dev package
        // provides the header, and Debian's libcurl4 the library.
        .target(name: "CCurl"),
        .target(
            name: "CrashfwdCore",
            dependencies: ["CLinux", "CSystemd", "CCurl", "CPCRE2", "CYAML", "CZlib"]
        ),
        .executableTarget(
            name: "crashfwd",
            dependencies: ["CrashfwdCore"],
            exclude: ["symbol-order.txt"],
            linkerSettings: [.unsafeFlags(daemonReleaseLinkerFlags, .when(configuration: .release))]
        ),
        .executableTarget(name: "centercode-sandbox", dependencies: ["CMicroHTTPD"]),
        .testTarget(name: "CrashfwdCoreTests", dependencies: ["CrashfwdCore"]),
        .testTarget(name: "IntegrationTests", dependencies: ["CrashfwdCore"]),
    ]
)
