#include "waitgroup/atomic.h"
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

CPAT_WAITGROUP_OPS(atomic, "variant", CPAT_WAITGROUP_DETECTS_REUSE,
                   "packed counter+waiters word, fetch_add; waiters spin/yield");
