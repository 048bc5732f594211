/* Broken onces.  Each is a correct variant with one deliberate bug, named
 * after it. */
#include <stdatomic.h>

#include "common/futex.h"
#include "mutants.h"
#include "once/atomic.h"
#include "once/futex.h"
#include "once/ops.h"

/* relaxed_fast_path: the atomic once's fast path loads the state relaxed,
 * so a caller that finds it done does not acquire fn's effects (O2 under
 * TSan). */
#define cpat_once_mutant_relaxed_fast_path         cpat_once_atomic
#define cpat_once_mutant_relaxed_fast_path_init    cpat_once_atomic_init
#define cpat_once_mutant_relaxed_fast_path_destroy cpat_once_atomic_destroy
static void cpat_once_mutant_relaxed_fast_path_do(struct cpat_once_mutant_relaxed_fast_path *o,
                                                  void (*fn)(void *), void *arg) {
    if (atomic_load_explicit(&o->state, memory_order_relaxed) != 2) /* BUG: not acquire */
        cpat_once_atomic_slow(o, fn, arg);
}
CPAT_ONCE_OPS(mutant_relaxed_fast_path, "mutant", 0, "atomic once whose fast path is relaxed");

/* no_wait: the atomic once's losers return at once instead of waiting for
 * fn to finish (O2). */
#define cpat_once_mutant_no_wait         cpat_once_atomic
#define cpat_once_mutant_no_wait_init    cpat_once_atomic_init
#define cpat_once_mutant_no_wait_destroy cpat_once_atomic_destroy
static void cpat_once_mutant_no_wait_do(struct cpat_once_mutant_no_wait *o, void (*fn)(void *),
                                        void *arg) {
    uint32_t s = 0;
    if (atomic_compare_exchange_strong_explicit(&o->state, &s, 1, memory_order_relaxed,
                                                memory_order_relaxed)) {
        fn(arg);
        atomic_store_explicit(&o->state, 2, memory_order_release);
    } /* BUG: a loser returns without waiting for 2 */
}
CPAT_ONCE_OPS(mutant_no_wait, "mutant", 0, "atomic once whose losers do not wait for fn");

/* rerun: the futex once's runner, finding waiters recorded, leaves the
 * state at 0 instead of 3: a woken waiter runs fn again (O1). */
#define cpat_once_mutant_rerun         cpat_once_futex
#define cpat_once_mutant_rerun_init    cpat_once_futex_init
#define cpat_once_mutant_rerun_destroy cpat_once_futex_destroy
static void cpat_once_mutant_rerun_do(struct cpat_once_mutant_rerun *o, void (*fn)(void *),
                                      void *arg) {
    for (;;) {
        uint32_t s = atomic_load_explicit(&o->state, memory_order_acquire);
        if (s == 3)
            return;
        if (s == 0) {
            if (!atomic_compare_exchange_strong_explicit(&o->state, &s, 1, memory_order_relaxed,
                                                         memory_order_relaxed))
                continue;
            fn(arg);
            if (atomic_load_explicit(&o->state, memory_order_relaxed) == 2) {
                atomic_store_explicit(&o->state, 0, memory_order_release); /* BUG: not 3 */
                cpat_futex_wake(&o->state, CPAT_FUTEX_WAKE_ALL);
            } else if (atomic_exchange_explicit(&o->state, 3, memory_order_release) == 2) {
                cpat_futex_wake(&o->state, CPAT_FUTEX_WAKE_ALL);
            }
            return;
        }
        if (s == 1 && !atomic_compare_exchange_strong_explicit(
                          &o->state, &s, 2, memory_order_relaxed, memory_order_relaxed))
            continue;
        cpat_futex_wait(&o->state, 2, NULL);
    }
}
CPAT_ONCE_OPS(mutant_rerun, "mutant", CPAT_ONCE_PARKS,
              "futex once that forgets it ran when waiters were parked");

const struct vmutant_once vmutants_once[] = {
    {&cpat_once_mutant_relaxed_fast_path_ops, true, "O2 (TSan)"},
    {&cpat_once_mutant_no_wait_ops, false, "O2"},
    {&cpat_once_mutant_rerun_ops, false, "O1"},
    {NULL, false, NULL},
};
