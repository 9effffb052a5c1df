/// `crashfwd test-match`: scans files and prints the crashes found, sending nothing.
public enum TestMatchCommand {
    public static func run(arguments: [String]) -> Int32 {
        print("crashfwd test-match is not available in this build")
        return 2
    }
}
