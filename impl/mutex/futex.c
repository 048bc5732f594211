#include "mutex/futex.h"
#include "common/futex.h"
#include "common/spin.h"
#include "mutex/ops.h"

/* Polls of the word before parking; ~2-4 us on a current x86 core, a
 * fraction of one futex round trip. */
#define FUTEX_MUTEX_SPINS 128

void cpat_mutex_futex_lock_slow(struct cpat_mutex_futex *m) {
    /* Spin while the holder runs and nobody sleeps yet; stop early once a
     * waiter has parked (state 2): queue behind it instead of barging. */
    for (int i = 0; i < FUTEX_MUTEX_SPINS; i++) {
        uint32_t s = atomic_load_explicit(&m->state, memory_order_relaxed);
        if (s == 0 && cpat_mutex_futex_trylock(m) == 0)
            return;
        if (s == 2)
            break;
        cpat_cpu_relax();
    }
    /* x -> 2.  Having swapped 0 out we own the lock; we keep it marked 2
     * because others may still sleep (one spurious wake at worst).  Acquire
     * pairs with the release exchange in unlock. */
    while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0) {
        /* Sleep while the word is still 2.  Any return -- a wake, a spurious
         * wake, EINTR, the word already changed -- loops to the exchange,
         * which re-checks the word. */
        cpat_futex_wait(&m->state, 2, NULL);
    }
}

void cpat_mutex_futex_wake(struct cpat_mutex_futex *m) {
    cpat_futex_wake(&m->state, 1);
}

CPAT_MUTEX_OPS(futex, "variant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
               "3-state futex word, bounded spin then park, wakes only recorded waiters");
