/* futex waitgroup: Go's WaitGroup protocol.  The packed state word of
 * state.h (counter << 32 | waiters) says how many threads wait; the
 * done() that brings the counter to zero posts that many tokens to a
 * semaphore whose 32-bit count is the futex word the waiters park on
 * (common/sema.h: they poll first, and the post wakes only sleepers).
 *
 * wg->state: counter << 32 | waiters (see state.h)
 * wg->sema:  one token per waiter released by the last done()
 *
 * A waiter takes exactly one token and then counts itself out; add()
 * aborts rather than restart a zero counter until all have (reuse), so
 * tokens of one round are never taken by waiters of the next.
 */
#ifndef CPAT_WAITGROUP_FUTEX_H
#define CPAT_WAITGROUP_FUTEX_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/sema.h"
#include "waitgroup/state.h"

struct cpat_waitgroup_futex {
    _Atomic uint64_t state;
    alignas(64) struct cpat_sema sema; /* waiters poll it: off the add/done line */
};

static inline int cpat_waitgroup_futex_init(struct cpat_waitgroup_futex *wg) {
    atomic_init(&wg->state, 0);
    cpat_sema_init(&wg->sema);
    return 0;
}

static inline void cpat_waitgroup_futex_destroy(struct cpat_waitgroup_futex *wg) {
    (void)wg;
}

static inline int cpat_waitgroup_futex_add(struct cpat_waitgroup_futex *wg, int delta) {
    uint64_t s = cpat_waitgroup_state_add(&wg->state, delta);
    /* We made it zero: release the waiters counted in.  Only a negative
     * delta can make the zero (an add(0) on a zero that waiters are still
     * leaving must not post their tokens twice).  The post (release) pairs
     * with each waiter's acquire of its token; our acq_rel fetch_add
     * brought every earlier done()'s work along. */
    if (delta < 0 && cpat_waitgroup_counter(s) == 0 && cpat_waitgroup_waiters(s))
        cpat_sema_post(&wg->sema, (int)cpat_waitgroup_waiters(s));
    return 0;
}

static inline int cpat_waitgroup_futex_done(struct cpat_waitgroup_futex *wg) {
    return cpat_waitgroup_futex_add(wg, -1);
}

void cpat_waitgroup_futex_wait_slow(struct cpat_waitgroup_futex *wg);

static inline void cpat_waitgroup_futex_wait(struct cpat_waitgroup_futex *wg) {
    if (cpat_waitgroup_state_join(&wg->state))
        cpat_waitgroup_futex_wait_slow(wg);
}

int cpat_waitgroup_futex_wait_until(struct cpat_waitgroup_futex *wg, uint64_t deadline_ns,
                                    struct cpat_stop *stop);

/* Wakes the wait_until() whose flag is stop (set already). */
static inline void cpat_waitgroup_futex_kick(struct cpat_waitgroup_futex *wg,
                                             struct cpat_stop *stop) {
    cpat_sema_kick(&wg->sema, stop);
}

#endif
