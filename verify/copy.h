/* Running one call in a forked copy of a check's process, with a deadline.
 *
 * Some calls must be tried where their failure cannot hurt the check: a
 * misuse that should abort (W2: done() on a zero waitgroup; the channel
 * checks: close twice, send on closed), or a call that may block for good.
 * vcopy_run() forks a copy of the calling process, runs fn(arg) in it on
 * the calling thread alone, and collects how the copy ended and what it
 * wrote, all within one deadline:
 *
 *   - the copy's stdout and stderr go into a pipe read here (never to the
 *     test's output: a copy must not keep ctest's pipe open), and the first
 *     line of it comes back in .msg (an abort's "cpat: ..." message);
 *   - the pipe is read with poll() and the copy reaped with waitpid(), both
 *     under the same deadline; a copy still running at the deadline is
 *     killed (SIGKILL) and reaped, and .finished is false.  A fork taken
 *     while another thread held a lock (the variant's, malloc's, a
 *     sanitizer's) leaves the copy blocked for good: that is a trial with no
 *     verdict, never a hang of the check;
 *   - the copy dies with the thread that forked it (PR_SET_PDEATHSIG) and
 *     stays in the check's process group, which the runner kills when the
 *     check ends, however it ends: nothing forked here outlives the check.
 *
 * The deadline is a tenth of the runner's stall budget (struct vrun's
 * stall: 0.5 s in release, 2 s under TSan, 0.3 s for the mutants), some 100x
 * what a copy takes that aborts or returns; and each call counts as progress
 * once the copy has ended, so a check that waits on copies one after
 * another is never taken for a hang.
 *
 * fn runs in a copy of a multi-threaded process: only the calling thread
 * exists there, so fn must not wait for the other threads or for locks they
 * may have held.  It returns the copy's exit status (0..255); stdout is
 * flushed at the copy's exit, atexit handlers do not run (_exit).  The
 * runner's shared page (struct vshared) is shared with the copy too: a
 * vfail() or vnote() there is seen by the runner.
 */
#ifndef CPAT_VERIFY_COPY_H
#define CPAT_VERIFY_COPY_H

#include <stdbool.h>

#include "harness.h"

#define VCOPY_STALL_PARTS 10 /* the deadline is the stall budget over this */

struct vcopy {
    bool finished; /* false: killed at the deadline, status and msg say nothing */
    int status;    /* waitpid() status of the copy when finished */
    double secs;   /* from fork to the end (or the kill) */
    char msg[256]; /* the first line the copy wrote to stdout or stderr */
};

void vcopy_run(const struct vrun *r, int (*fn)(void *arg), void *arg, struct vcopy *out);

#endif
