// Linux system calls that Swift's Glibc module does not import: eventfd for waking
// threads, inotify for following log files, signalfd for handling signals in poll(2).
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <signal.h>
