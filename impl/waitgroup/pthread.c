#include "waitgroup/pthread.h"
#include "waitgroup/ops.h"

#include <errno.h>

#include "common/clock.h"

/* wait(), giving up at the deadline or on *stop (read under m, set by the
 * waker before its kick takes m). */
int cpat_waitgroup_pthread_wait_until(struct cpat_waitgroup_pthread *wg, uint64_t deadline_ns,
                                      struct cpat_stop *stop) {
    int r = 0;
    cpat_waitgroup_pthread_lock(wg);
    if (wg->counter > 0) {
        wg->waiters++;
        struct timespec ts = cpat_ns_to_timespec(deadline_ns);
        while (wg->counter > 0) {
            if (cpat_stop_is_set(stop)) {
                r = ECANCELED;
                break;
            }
            int e = deadline_ns == UINT64_MAX
                        ? pthread_cond_wait(&wg->zero, &wg->m)
                        : pthread_cond_clockwait(&wg->zero, &wg->m, CLOCK_MONOTONIC, &ts);
            if (e == ETIMEDOUT && wg->counter > 0) {
                r = ETIMEDOUT;
                break;
            }
            if (e && e != ETIMEDOUT)
                cpat_die("pthread_cond_wait", e);
        }
        wg->waiters--;
    }
    cpat_waitgroup_pthread_unlock(wg);
    return r;
}

CPAT_WAITGROUP_OPS(pthread, "variant", CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "mutex + condvar; counter and waiter count under the mutex");
