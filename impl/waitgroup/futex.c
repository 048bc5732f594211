#include "waitgroup/futex.h"
#include "waitgroup/ops.h"

/* Counted in as a waiter: take the token the zero-making done() posts for
 * us, then leave. */
void cpat_waitgroup_futex_wait_slow(struct cpat_waitgroup_futex *wg) {
    cpat_sema_wait(&wg->sema);
    cpat_waitgroup_state_leave(&wg->state);
}

CPAT_WAITGROUP_OPS(futex, "variant", CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "Go's protocol: packed counter+waiters word; waiters park on a futex semaphore");
