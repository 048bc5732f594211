#include "mutex/futex.h"
#include <stdbool.h>

#include "common/clock.h"
#include "common/futex.h"
#include "common/spin.h"
#include "mutex/ops.h"

/* Polls of the word before parking; ~2-4 us on a current x86 core, a
 * fraction of one futex round trip. */
#define FUTEX_MUTEX_SPINS 128

/* Futex bits of lock()'s and lock_until()'s sleepers: a kick wakes only
 * the second kind; unlock's FUTEX_WAKE wakes either. */
#define FUTEX_MUTEX_PLAIN_BIT 1u
#define FUTEX_MUTEX_CTX_BIT   2u

/* Spin while the holder runs and nobody sleeps yet; stop early once a
 * waiter has parked (state 2): queue behind it instead of barging.  True
 * if it took the lock. */
static bool spin_for_it(struct cpat_mutex_futex *m) {
    for (int i = 0; i < FUTEX_MUTEX_SPINS; i++) {
        uint32_t s = atomic_load_explicit(&m->state, memory_order_relaxed);
        if (s == 0 && cpat_mutex_futex_trylock(m) == 0)
            return true;
        if (s == 2)
            break;
        cpat_cpu_relax();
    }
    return false;
}

void cpat_mutex_futex_lock_slow(struct cpat_mutex_futex *m) {
    if (spin_for_it(m))
        return;
    /* x -> 2.  Having swapped 0 out we own the lock; we keep it marked 2
     * because others may still sleep (one spurious wake at worst).  Acquire
     * pairs with the release exchange in unlock. */
    while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0) {
        /* Sleep while the word is still 2.  Any return -- a wake, a spurious
         * wake, EINTR, the word already changed -- loops to the exchange,
         * which re-checks the word. */
        cpat_futex_wait_bits(&m->state, 2, NULL, FUTEX_MUTEX_PLAIN_BIT);
    }
}

int cpat_mutex_futex_lock_until(struct cpat_mutex_futex *m, uint64_t deadline_ns,
                                struct cpat_stop *stop) {
    if (cpat_mutex_futex_trylock(m) == 0 || spin_for_it(m))
        return 0;
    struct timespec ts = cpat_ns_to_timespec(deadline_ns);
    const struct timespec *dl = deadline_ns == UINT64_MAX ? NULL : &ts;
    int r = 0;
    /* x -> 2 as in lock_slow; the lock, if we swapped 0 out, comes first. */
    while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0) {
        if ((r = cpat_stop_before_sleep(stop, deadline_ns)))
            break;
        cpat_futex_wait_bits(&m->state, 2, dl, FUTEX_MUTEX_CTX_BIT);
        cpat_stop_awake(stop);
    }
    /* We give up only right after an exchange that wrote 2 and found the
     * lock held: its holder's unlock will wake a sleeper, so a wake-up that
     * came to us is not lost to the others.  The 2 we leave costs one
     * spurious wake at worst. */
    return r;
}

static void wake_ctx_sleepers(void *m) {
    cpat_futex_wake_bits(&((struct cpat_mutex_futex *)m)->state, CPAT_FUTEX_WAKE_ALL,
                         FUTEX_MUTEX_CTX_BIT);
}

void cpat_mutex_futex_kick(struct cpat_mutex_futex *m, struct cpat_stop *stop) {
    cpat_stop_kick_until_awake(stop, wake_ctx_sleepers, m);
}

void cpat_mutex_futex_wake(struct cpat_mutex_futex *m) {
    cpat_futex_wake(&m->state, 1);
}

CPAT_MUTEX_OPS_UNTIL(futex, "variant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
                     "3-state futex word, bounded spin then park, wakes only recorded waiters");
