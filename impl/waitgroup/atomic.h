/* atomic waitgroup: the packed state word of state.h (counter << 32 |
 * waiters), changed by fetch_add; a waiter counts itself in and spins on the word
 * (backoff, yielding at the cap) until the counter is zero.  Never parks. */
#ifndef CPAT_WAITGROUP_ATOMIC_H
#define CPAT_WAITGROUP_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#include "waitgroup/state.h"
#include "common/stop.h"

struct cpat_waitgroup_atomic {
    _Atomic uint64_t state;
};

static inline int cpat_waitgroup_atomic_init(struct cpat_waitgroup_atomic *wg) {
    atomic_init(&wg->state, 0);
    return 0;
}

static inline void cpat_waitgroup_atomic_destroy(struct cpat_waitgroup_atomic *wg) {
    (void)wg;
}

static inline int cpat_waitgroup_atomic_add(struct cpat_waitgroup_atomic *wg, int delta) {
    cpat_waitgroup_state_add(&wg->state, delta);
    return 0;
}

static inline int cpat_waitgroup_atomic_done(struct cpat_waitgroup_atomic *wg) {
    return cpat_waitgroup_atomic_add(wg, -1);
}

void cpat_waitgroup_atomic_wait_slow(struct cpat_waitgroup_atomic *wg);

static inline void cpat_waitgroup_atomic_wait(struct cpat_waitgroup_atomic *wg) {
    if (cpat_waitgroup_state_join(&wg->state))
        cpat_waitgroup_atomic_wait_slow(wg);
}

int cpat_waitgroup_atomic_wait_until(struct cpat_waitgroup_atomic *wg, uint64_t deadline_ns,
                                     struct cpat_stop *stop);

/* Nothing to wake: waiters poll their stop words. */
static inline void cpat_waitgroup_atomic_kick(struct cpat_waitgroup_atomic *wg,
                                              struct cpat_stop *stop) {
    (void)stop;
    (void)wg;
}

#endif
