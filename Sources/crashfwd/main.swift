import CrashfwdCore

#if canImport(Glibc)
    import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
exit(CommandLineInterface.run(arguments))
