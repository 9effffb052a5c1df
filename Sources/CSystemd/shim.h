// libsystemd: the journal reader (sd-journal), sd_notify and sd-id128.
// No shims are needed: every call the daemon makes has a non-variadic form
// (sd_journal_sendv instead of sd_journal_send).
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>
