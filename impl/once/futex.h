/* futex once: a state word that is also the futex waiters park on.
 *
 * o->state:
 *   0  fn has not started
 *   1  a caller is running fn; nobody parked
 *   2  a caller is running fn; a waiter may be parked: the runner must wake
 *   3  fn has returned
 *
 * The fast path is one acquire load.  The first caller CASes 0 -> 1 and
 * runs fn; the others poll briefly, then mark the word 2 and sleep while it
 * stays 2.  The runner exchanges 3 in and wakes everyone only if it took a
 * 2 out.
 */
#ifndef CPAT_ONCE_FUTEX_H
#define CPAT_ONCE_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

struct cpat_once_futex {
    _Atomic uint32_t state;
};

static inline int cpat_once_futex_init(struct cpat_once_futex *o) {
    atomic_init(&o->state, 0);
    return 0;
}

static inline void cpat_once_futex_destroy(struct cpat_once_futex *o) {
    (void)o;
}

void cpat_once_futex_slow(struct cpat_once_futex *o, void (*fn)(void *), void *arg);

static inline void cpat_once_futex_do(struct cpat_once_futex *o, void (*fn)(void *), void *arg) {
    /* Acquire pairs with the runner's release exchange of 3: fn's effects
     * happen-before our return. */
    if (atomic_load_explicit(&o->state, memory_order_acquire) != 3)
        cpat_once_futex_slow(o, fn, arg);
}

#endif
