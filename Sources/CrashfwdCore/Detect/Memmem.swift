/// glibc's `memmem(3)`. Its declaration in `<string.h>` is visible only with `_GNU_SOURCE`,
/// which Swift's Glibc module does not define, so the symbol is bound by name here.
@_silgen_name("memmem")
func memmem(
    _ haystack: UnsafeRawPointer?, _ haystackLength: Int, _ needle: UnsafeRawPointer?,
    _ needleLength: Int
) -> UnsafeMutableRawPointer?
