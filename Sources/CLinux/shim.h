// Linux system calls that Swift's Glibc module does not import: eventfd for waking
// threads, inotify for following log files, signalfd for handling signals in poll(2).
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <sys/prctl.h>

// prctl is variadic, so Swift calls it through this wrapper. Clearing the dumpable flag
// stops the kernel from writing a core dump of this process (and from letting other
// processes of the same user ptrace it).
static inline int crashfwd_disable_core_dumps(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
