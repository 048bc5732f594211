/* atomic once: one state word, an acquire load on the fast path; callers
 * that find fn running spin (with backoff, yielding at the cap) until it
 * is done.  Never parks.
 *
 * o->state:
 *   0  fn has not started
 *   1  a caller is running fn
 *   2  fn has returned
 */
#ifndef CPAT_ONCE_ATOMIC_H
#define CPAT_ONCE_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

struct cpat_once_atomic {
    _Atomic uint32_t state;
};

static inline int cpat_once_atomic_init(struct cpat_once_atomic *o) {
    atomic_init(&o->state, 0);
    return 0;
}

static inline void cpat_once_atomic_destroy(struct cpat_once_atomic *o) {
    (void)o;
}

void cpat_once_atomic_slow(struct cpat_once_atomic *o, void (*fn)(void *), void *arg);

static inline void cpat_once_atomic_do(struct cpat_once_atomic *o, void (*fn)(void *), void *arg) {
    /* Acquire pairs with the release store of 2 after fn returned: its
     * effects happen-before our return. */
    if (atomic_load_explicit(&o->state, memory_order_acquire) != 2)
        cpat_once_atomic_slow(o, fn, arg);
}

#endif
