#if canImport(Glibc)
    import Glibc
#endif

/// Removal of a report's staged attachment files once they are no longer needed.
enum AttachmentStore {
    /// Deletes `STATE/attachments/REPORT_ID/` and its files. Failures are logged, because
    /// the report itself is already done.
    static func removeStaged(reportID: String, stateDirectory: String) {
        let directory = AttachmentStager.directory(
            stateDirectory: stateDirectory, reportID: reportID)
        do {
            for name in try FileIO.listDirectory(directory) {
                try FileIO.remove("\(directory)/\(name)")
            }
            if rmdir(directory) != 0 && errno != ENOENT {
                throw SystemError("rmdir", path: directory)
            }
        } catch {
            Log.warning(
                "cannot remove the staged attachments of a done report; delete the directory by hand",
                ["REPORT_ID": reportID, "DIRECTORY": directory, "ERROR": "\(error)"])
        }
    }
}
