#include "mutex/spin.h"
#include "mutex/ops.h"

#include "common/clock.h"

void cpat_mutex_spin_lock_slow(struct cpat_mutex_spin *m) {
    struct cpat_backoff b = CPAT_BACKOFF_INIT(CPAT_MUTEX_SPIN_BACKOFF_CAP);
    for (;;) {
        /* Test with a plain load, and only when it shows 0 test-and-set.
         * Acquire pairs with the release store in unlock. */
        if (!atomic_load_explicit(&m->locked, memory_order_relaxed) &&
            !atomic_exchange_explicit(&m->locked, 1, memory_order_acquire))
            return;
        cpat_backoff_wait(&b);
    }
}

int cpat_mutex_spin_lock_until(struct cpat_mutex_spin *m, uint64_t deadline_ns,
                               struct cpat_stop *stop) {
    struct cpat_backoff b = CPAT_BACKOFF_INIT(CPAT_MUTEX_SPIN_BACKOFF_CAP);
    for (;;) {
        /* As lock_slow. */
        if (!atomic_load_explicit(&m->locked, memory_order_relaxed) &&
            !atomic_exchange_explicit(&m->locked, 1, memory_order_acquire))
            return 0;
        if (cpat_stop_is_set(stop))
            return ECANCELED;
        if (cpat_deadline_passed(deadline_ns))
            return ETIMEDOUT;
        cpat_backoff_wait(&b);
    }
}

CPAT_MUTEX_OPS_UNTIL(
    spin, "variant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_UNBOUNDED,
    "test-and-test-and-set, exponential backoff, yields at the cap; no bounded wait");
