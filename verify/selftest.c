/* The runner's own checks (pattern "selftest", run by verify/selftest.sh,
 * never listed nor emitted as ctests).  Each leaves behind what broke CI
 * once: a process forked inside the check that blocks for good and keeps
 * the test's stdout open.  The runner must still end every check on time
 * and leave no process of the check's group:
 *   T1  a forked copy blocks forever: vcopy_run() kills it at its deadline
 *       (a trial with no verdict); the check then passes, leaving a stray
 *   T2  the check itself hangs (no progress): the watchdog's stall kill
 *   T3  the check keeps ticking and never ends: the watchdog's time limit
 * Each prints its process group to stderr first, so that the script can
 * look for what is left of it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/futex.h"
#include "copy.h"
#include "cpat/error.h"
#include "harness.h"

static _Atomic uint32_t never; /* no one ever changes it */

static void block_forever(void) {
    for (;;)
        cpat_futex_wait(&never, 0, NULL);
}

static int blocks(void *arg) {
    (void)arg;
    block_forever();
    return 0;
}

/* A stray: forked without vcopy_run's care, it keeps stdout and stderr and
 * would outlive the check if the runner did not kill the check's group. */
static void leave_stray(const struct vrun *r) {
    fprintf(stderr, "selftest %s: pgid %d\n", r->check, (int)getpgrp());
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        cpat_die("fork", errno);
    if (pid == 0)
        block_forever();
}

static int t1_run(const struct vrun *r) {
    leave_stray(r);
    struct vcopy c;
    vcopy_run(r, blocks, NULL, &c);
    if (c.finished)
        return vfail(r, "a copy that blocks forever finished (status %d)", c.status);
    vnote(r, "the blocked copy was killed after %.2f s", c.secs);
    return VPASS;
}

static int t2_run(const struct vrun *r) {
    leave_stray(r);
    block_forever();
    return VPASS;
}

static int t3_run(const struct vrun *r) {
    leave_stray(r);
    for (;;) {
        atomic_fetch_add_explicit(&r->sh->progress, 1, memory_order_relaxed);
        usleep(10000);
    }
    return VPASS;
}

static const struct vcheck selftest_checks[] = {
    {"T1", "a forked copy that blocks forever is killed at its deadline", t1_run, true, false},
    {"T2", "a check that hangs is killed by the watchdog (stall)", t2_run, true, false},
    {"T3", "a check that ticks but never ends is killed by the watchdog (time limit)", t3_run, true,
     false},
};

static size_t selftest_impls(struct vimpl *out, size_t max, bool mutants) {
    if (mutants || max < 1)
        return 0;
    out[0] = (struct vimpl){"runner", NULL, false, false};
    return 1;
}

const struct vpattern vpattern_selftest = {"selftest", selftest_checks,
                                           sizeof selftest_checks / sizeof selftest_checks[0],
                                           selftest_impls};
