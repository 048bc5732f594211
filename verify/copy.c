/* vcopy_run(): see copy.h. */
#include "copy.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "cpat/error.h"

/* The longest wait between two looks at the copy's exit while its pipe is
 * still open (a sibling copy forked by another thread may hold our write
 * end, so end-of-file alone does not tell that the copy is gone). */
#define VCOPY_POLL_MS 10

static _Noreturn void copy_main(pid_t parent, int rfd, int wfd, int (*fn)(void *), void *arg) {
    /* Die with the forking thread.  It may have died before the prctl (the
     * classic race): then we have been reparented already. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    close(rfd);
    /* The copy inherited the test's stdout and stderr: whatever it says goes
     * to the pipe instead, so the test's output sees its end-of-file when
     * the runner exits, whatever the copy does. */
    if (dup2(wfd, STDOUT_FILENO) < 0 || dup2(wfd, STDERR_FILENO) < 0)
        _exit(126);
    close(wfd);
    int st = fn(arg);
    fflush(stdout);
    _exit(st & 0xff);
}

/* Appends what was read to out->msg while it has room (its first line is
 * what is kept in the end); the rest is read and dropped so that a
 * talkative copy never blocks on a full pipe. */
static void keep(struct vcopy *out, size_t *len, const char *buf, size_t n) {
    size_t room = sizeof out->msg - 1 - *len;
    if (n > room)
        n = room;
    memcpy(out->msg + *len, buf, n);
    *len += n;
    out->msg[*len] = 0;
}

enum { READ_NOTHING, READ_SOME, READ_EOF };

/* Reads the pipe once, waiting up to timeout_ms for it to be readable. */
static int drain(int fd, struct vcopy *out, size_t *len, int timeout_ms) {
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0 && errno != EINTR)
        cpat_die("poll", errno);
    if (n <= 0)
        return READ_NOTHING;
    char buf[512];
    ssize_t k = read(fd, buf, sizeof buf);
    if (k < 0 && errno != EINTR)
        cpat_die("read", errno);
    if (k > 0)
        keep(out, len, buf, (size_t)k);
    return k > 0 ? READ_SOME : k == 0 ? READ_EOF : READ_NOTHING;
}

void vcopy_run(const struct vrun *r, int (*fn)(void *arg), void *arg, struct vcopy *out) {
    *out = (struct vcopy){.finished = false};
    int fd[2];
    if (pipe(fd))
        cpat_die("pipe", errno);
    fflush(stdout); /* the copy must not print our buffered output again */
    fflush(stderr);
    pid_t self = getpid();
    uint64_t t0 = cpat_now_ns();
    uint64_t deadline = t0 + (uint64_t)(r->stall / VCOPY_STALL_PARTS * 1e9);
    pid_t pid = fork();
    if (pid < 0)
        cpat_die("fork", errno);
    if (pid == 0)
        copy_main(self, fd[0], fd[1], fn, arg);
    close(fd[1]);

    size_t len = 0;
    bool open = true;
    int st = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            out->finished = true;
            break;
        }
        if (w < 0 && errno != EINTR)
            cpat_die("waitpid", errno);
        uint64_t now = cpat_now_ns();
        if (now >= deadline)
            break;
        /* Sleep in poll() while the pipe is open, so the message arrives at
         * once; after end-of-file only the exit is left to see. */
        int ms = (int)((deadline - now + 999999) / 1000000);
        if (ms > VCOPY_POLL_MS)
            ms = VCOPY_POLL_MS;
        if (open) {
            open = drain(fd[0], out, &len, ms) != READ_EOF;
        } else {
            struct timespec ts = {0, 200 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (out->finished) {
        /* What the copy wrote just before it ended.  No waiting: a sibling
         * copy holding the write end could keep the pipe open for long. */
        while (open && drain(fd[0], out, &len, 0) == READ_SOME)
            ;
        out->status = st;
    } else {
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0)
            if (errno != EINTR)
                cpat_die("waitpid", errno);
    }
    close(fd[0]);
    out->msg[strcspn(out->msg, "\n")] = 0;
    out->secs = (cpat_now_ns() - t0) / 1e9;
    /* The copy has ended: the check moves on, which is progress for the
     * watchdog (the wait was bounded by a tenth of its stall budget). */
    atomic_fetch_add_explicit(&r->sh->progress, 1, memory_order_relaxed);
}
