// Linux system calls that Swift's Glibc module does not import: eventfd for waking
// threads, inotify for following log files, signalfd for handling signals in poll(2),
// prctl, and posix_spawn with the file actions the HTTP worker needs.
#include <spawn.h>
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

// Makes the kernel send SIGKILL to this process when the thread that started it exits.
static inline int crashfwd_kill_with_parent(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

// Starts PATH with ARGV and the environment ENVP. SOCKET becomes the child's
// descriptor 3 and every descriptor above it is closed. Signal handling starts afresh,
// with nothing blocked and every handler at its default, because the mask this process
// keeps for its signalfd would otherwise pass to the child. Returns 0 or an errno value.
static inline int crashfwd_spawn_with_socket(
    pid_t *pid, const char *path, char *const argv[], char *const envp[], int socket) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }
    result = posix_spawn_file_actions_adddup2(&actions, socket, 3);
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &none);
    if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
    if (result == 0) {
        result = posix_spawnattr_setflags(
            &attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    if (result == 0) result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}
