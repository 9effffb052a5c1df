import Testing

/// The parent of every suite that opens journal files. Its `.serialized` trait applies to
/// the nested suites too, so no two tests open or close sd-journal handles at the same
/// time: libsystemd maps journal files into memory, and closing one handle while another
/// thread reads a file that rotation or vacuum removed has crashed the test process with
/// SIGBUS.
@Suite(.serialized) enum JournalTests {}
