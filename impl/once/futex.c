#include "once/futex.h"
#include "common/futex.h"
#include "common/spin.h"
#include "once/ops.h"

/* Polls for 3 before parking: a few microseconds, well under a futex round
 * trip, enough for a short fn. */
#define ONCE_SPINS 128

void cpat_once_futex_slow(struct cpat_once_futex *o, void (*fn)(void *), void *arg) {
    uint32_t s = 0;
    /* 0 -> 1: we run fn.  Relaxed: the claim publishes nothing. */
    if (atomic_compare_exchange_strong_explicit(&o->state, &s, 1, memory_order_relaxed,
                                                memory_order_relaxed)) {
        fn(arg);
        /* 1 or 2 -> 3.  Release pairs with the acquire loads of 3 in do and
         * below; a 2 taken out means someone may sleep. */
        if (atomic_exchange_explicit(&o->state, 3, memory_order_release) == 2)
            cpat_futex_wake(&o->state, CPAT_FUTEX_WAKE_ALL);
        return;
    }
    for (int i = 0; i < ONCE_SPINS; i++) {
        /* Acquire pairs with the runner's release exchange of 3. */
        if (atomic_load_explicit(&o->state, memory_order_acquire) == 3)
            return;
        cpat_cpu_relax();
    }
    for (;;) {
        s = atomic_load_explicit(&o->state, memory_order_acquire); /* as above */
        if (s == 3)
            return;
        /* 1 -> 2: record that we park, so the runner wakes us.  Relaxed: it
         * publishes nothing.  If the CAS fails the state moved on (to 2 or
         * 3): look again. */
        if (s == 1 && !atomic_compare_exchange_strong_explicit(
                          &o->state, &s, 2, memory_order_relaxed, memory_order_relaxed))
            continue;
        /* Sleep while the word is 2.  Any return -- the runner's wake, a
         * spurious wake, EINTR, the word already 3 -- loops to the load,
         * which re-checks. */
        cpat_futex_wait(&o->state, 2, NULL);
    }
}

CPAT_ONCE_OPS(futex, "variant", CPAT_ONCE_PARKS,
              "state machine idle/running/running+waiters/done; waiters park on the word");
