#include "once/atomic.h"
#include "common/spin.h"
#include "once/ops.h"

#define ONCE_BACKOFF_CAP 1024 /* pauses between looks; then sched_yield */

void cpat_once_atomic_slow(struct cpat_once_atomic *o, void (*fn)(void *), void *arg) {
    uint32_t s = 0;
    /* 0 -> 1: we run fn.  Relaxed: the claim publishes nothing (fn's
     * effects are published by the store of 2). */
    if (atomic_compare_exchange_strong_explicit(&o->state, &s, 1, memory_order_relaxed,
                                                memory_order_relaxed)) {
        fn(arg);
        /* 1 -> 2.  Release pairs with the acquire loads in do and below. */
        atomic_store_explicit(&o->state, 2, memory_order_release);
        return;
    }
    /* Another caller runs fn (or has run it): wait for 2.  Acquire pairs
     * with its release store of 2. */
    struct cpat_backoff b = CPAT_BACKOFF_INIT(ONCE_BACKOFF_CAP);
    while (atomic_load_explicit(&o->state, memory_order_acquire) != 2)
        cpat_backoff_wait(&b);
}

CPAT_ONCE_OPS(atomic, "variant", 0, "acquire-load fast path; CAS to claim; waiters spin/yield");
