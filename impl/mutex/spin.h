/* spin mutex: test-and-test-and-set with bounded exponential backoff.
 *
 * m->locked: 0 unlocked, 1 locked.
 *
 * Lock tries one exchange first (the uncontended case costs one RMW).  When
 * that fails it waits with plain loads -- the line stays shared in every
 * waiter's cache instead of bouncing on each attempt -- and retries the
 * exchange only when the word reads 0, backing off after each lost race.
 * Unfair: the thread that just unlocked usually wins again.
 */
#ifndef CPAT_MUTEX_SPIN_H
#define CPAT_MUTEX_SPIN_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/spin.h"
#include "common/stop.h"

struct cpat_mutex_spin {
    _Atomic uint32_t locked;
};

#define CPAT_MUTEX_SPIN_BACKOFF_CAP 64 /* pauses (~2 us here); then sched_yield between tries */

static inline int cpat_mutex_spin_init(struct cpat_mutex_spin *m) {
    atomic_init(&m->locked, 0);
    return 0;
}

static inline void cpat_mutex_spin_destroy(struct cpat_mutex_spin *m) {
    (void)m;
}

static inline int cpat_mutex_spin_trylock(struct cpat_mutex_spin *m) {
    /* 0 -> 1.  Acquire pairs with the release store in unlock. */
    return atomic_exchange_explicit(&m->locked, 1, memory_order_acquire) ? EAGAIN : 0;
}

void cpat_mutex_spin_lock_slow(struct cpat_mutex_spin *m);

static inline void cpat_mutex_spin_lock(struct cpat_mutex_spin *m) {
    if (cpat_mutex_spin_trylock(m))
        cpat_mutex_spin_lock_slow(m);
}

static inline int cpat_mutex_spin_unlock(struct cpat_mutex_spin *m) {
    /* Only the holder writes here, so a relaxed look suffices to catch an
     * unlock of an unlocked lock (best effort: a racing locker may hide it). */
    if (atomic_load_explicit(&m->locked, memory_order_relaxed) == 0)
        return EINVAL;
    /* 1 -> 0.  Release pairs with the acquire exchange in trylock/lock_slow:
     * the critical section happens-before the next holder's. */
    atomic_store_explicit(&m->locked, 0, memory_order_release);
    return 0;
}

/* lock_until: the same spinning, looking at the flag and the clock
 * between tries; kick has nothing to wake. */
int cpat_mutex_spin_lock_until(struct cpat_mutex_spin *m, uint64_t deadline_ns,
                               struct cpat_stop *stop);

static inline void cpat_mutex_spin_kick(struct cpat_mutex_spin *m, struct cpat_stop *stop) {
    (void)m;
    (void)stop;
}

#endif
