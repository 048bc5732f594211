/* futex mutex: three-state lock word, bounded spinning, then park
 * (Drepper, "Futexes Are Tricky", mutex 3; musl's __lock).
 *
 * m->state:
 *   0  unlocked
 *   1  locked, no waiter recorded
 *   2  locked, a waiter may be parked: unlock must wake one
 *
 * The uncontended lock is one CAS 0->1 and its unlock one exchange that sees
 * 1 and makes no syscall.  A contended locker first spins briefly (a futex
 * wake costs tens of microseconds here, a cache-line transfer ~100 ns), then
 * swaps in 2 and sleeps while the word stays 2.  Only unlock of a 2 wakes.
 *
 * lock_until (ctx-aware lock) sleeps the same way, with a futex bit of its
 * own so that a kick wakes only such sleepers.  A kick cannot change the
 * lock word, so it repeats its wake-up until the waiter is back
 * (common/stop.h).  A waiter gives up only right after an exchange that
 * wrote 2 over a held lock, so the holder's unlock wakes another sleeper
 * even if unlock's last wake-up came to the one that left.
 */
#ifndef CPAT_MUTEX_FUTEX_H
#define CPAT_MUTEX_FUTEX_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/stop.h"

struct cpat_mutex_futex {
    _Atomic uint32_t state;
};

static inline int cpat_mutex_futex_init(struct cpat_mutex_futex *m) {
    atomic_init(&m->state, 0);
    return 0;
}

static inline void cpat_mutex_futex_destroy(struct cpat_mutex_futex *m) {
    (void)m;
}

static inline int cpat_mutex_futex_trylock(struct cpat_mutex_futex *m) {
    uint32_t unlocked = 0;
    /* 0 -> 1.  Acquire pairs with the release exchange in unlock. */
    return atomic_compare_exchange_strong_explicit(&m->state, &unlocked, 1, memory_order_acquire,
                                                   memory_order_relaxed)
               ? 0
               : EAGAIN;
}

void cpat_mutex_futex_lock_slow(struct cpat_mutex_futex *m);
void cpat_mutex_futex_wake(struct cpat_mutex_futex *m);

static inline void cpat_mutex_futex_lock(struct cpat_mutex_futex *m) {
    if (cpat_mutex_futex_trylock(m))
        cpat_mutex_futex_lock_slow(m);
}

static inline int cpat_mutex_futex_unlock(struct cpat_mutex_futex *m) {
    /* 1 or 2 -> 0.  Release pairs with the acquire CAS/exchange of the next
     * locker.  An old value of 0 means the lock was not held. */
    uint32_t old = atomic_exchange_explicit(&m->state, 0, memory_order_release);
    if (old == 2)
        cpat_mutex_futex_wake(m);
    return old == 0 ? EINVAL : 0;
}

int cpat_mutex_futex_lock_until(struct cpat_mutex_futex *m, uint64_t deadline_ns,
                                struct cpat_stop *stop);
void cpat_mutex_futex_kick(struct cpat_mutex_futex *m, struct cpat_stop *stop);

#endif
