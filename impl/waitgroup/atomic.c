#include "waitgroup/atomic.h"
#include <errno.h>

#include "common/clock.h"
#include "common/spin.h"
#include "waitgroup/ops.h"

#define WAITGROUP_BACKOFF_CAP 1024 /* pauses between looks; then sched_yield */

/* Counted in as a waiter: spin until the counter is zero, then leave. */
void cpat_waitgroup_atomic_wait_slow(struct cpat_waitgroup_atomic *wg) {
    struct cpat_backoff b = CPAT_BACKOFF_INIT(WAITGROUP_BACKOFF_CAP);
    /* Acquire pairs with the acq_rel RMW of the done() that made it zero
     * (which carries every earlier done(), see state.h). */
    while (cpat_waitgroup_counter(atomic_load_explicit(&wg->state, memory_order_acquire)))
        cpat_backoff_wait(&b);
    cpat_waitgroup_state_leave(&wg->state);
}

/* The same, giving up at the deadline or on *stop (see state.h's unjoin). */
int cpat_waitgroup_atomic_wait_until(struct cpat_waitgroup_atomic *wg, uint64_t deadline_ns,
                                     struct cpat_stop *stop) {
    if (!cpat_waitgroup_state_join(&wg->state))
        return 0;
    struct cpat_backoff b = CPAT_BACKOFF_INIT(WAITGROUP_BACKOFF_CAP);
    /* Acquire: as in wait_slow.  A zero found by a failed unjoin is
     * acquired by this load on the next turn. */
    while (cpat_waitgroup_counter(atomic_load_explicit(&wg->state, memory_order_acquire))) {
        int r = cpat_stop_is_set(stop)              ? ECANCELED
                : cpat_deadline_passed(deadline_ns) ? ETIMEDOUT
                                                    : 0;
        if (r && cpat_waitgroup_state_unjoin(&wg->state))
            return r;
        if (!r)
            cpat_backoff_wait(&b);
    }
    cpat_waitgroup_state_leave(&wg->state);
    return 0;
}

CPAT_WAITGROUP_OPS(atomic, "variant", CPAT_WAITGROUP_DETECTS_REUSE,
                   "packed counter+waiters word, fetch_add; waiters spin/yield");
