/// The crashfwd version, shown by `--version` and sent in the User-Agent header.
public enum CrashfwdVersion {
    public static let string = "0.1.0"
}
