// PCRE2 for 8-bit code units. The header requires the code unit width to be
// chosen before it is included. Its generic names (pcre2_compile, ...) are
// function-like macros that Swift does not import, so Swift calls the
// width-suffixed functions (pcre2_compile_8, ...) directly.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
