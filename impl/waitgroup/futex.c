#include "waitgroup/futex.h"
#include "waitgroup/ops.h"

/* Counted in as a waiter: take the token the zero-making done() posts for
 * us, then leave. */
void cpat_waitgroup_futex_wait_slow(struct cpat_waitgroup_futex *wg) {
    cpat_sema_wait(&wg->sema);
    cpat_waitgroup_state_leave(&wg->state);
}

/* The same, giving up at the deadline or on *stop: a waiter that gives up
 * while the counter is above zero counts itself out, so the zero posts one
 * token fewer; one that finds the zero already made takes its token as
 * wait() would and succeeds. */
int cpat_waitgroup_futex_wait_until(struct cpat_waitgroup_futex *wg, uint64_t deadline_ns,
                                    struct cpat_stop *stop) {
    if (!cpat_waitgroup_state_join(&wg->state))
        return 0;
    int r = cpat_sema_wait_until(&wg->sema, deadline_ns, stop);
    if (r && cpat_waitgroup_state_unjoin(&wg->state))
        return r;
    if (r)
        cpat_sema_wait(&wg->sema); /* posted, or about to be, by the done() that made the zero */
    cpat_waitgroup_state_leave(&wg->state);
    return 0;
}

CPAT_WAITGROUP_OPS(futex, "variant", CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "Go's protocol: packed counter+waiters word; waiters park on a futex semaphore");
