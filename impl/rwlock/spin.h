/* spin rwlock: one word holding a reader count and a writer bit;
 * test-and-test-and-set with bounded exponential backoff.
 *
 * l->word:
 *   0                        free
 *   n, 0 < n < WRITER        n readers hold it
 *   CPAT_RWLOCK_SPIN_WRITER  a writer holds it (readers never add to it then)
 *
 * Readers CAS the count up when the writer bit is clear; a writer CASes
 * 0 -> WRITER.  Reader-preferring: a writer gets in only when the word is
 * 0, so a stream of overlapping readers starves it.  A waiter polls with
 * plain loads and tries its CAS only when the word looks right, backing off
 * in between; it never parks.
 */
#ifndef CPAT_RWLOCK_SPIN_H
#define CPAT_RWLOCK_SPIN_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/spin.h"

#define CPAT_RWLOCK_SPIN_WRITER      (1u << 31)
#define CPAT_RWLOCK_SPIN_BACKOFF_CAP 1024 /* pauses; then sched_yield between tries */

struct cpat_rwlock_spin {
    _Atomic uint32_t word;
};

static inline int cpat_rwlock_spin_init(struct cpat_rwlock_spin *l) {
    atomic_init(&l->word, 0);
    return 0;
}

static inline void cpat_rwlock_spin_destroy(struct cpat_rwlock_spin *l) {
    (void)l;
}

static inline int cpat_rwlock_spin_tryrd(struct cpat_rwlock_spin *l) {
    uint32_t v = atomic_load_explicit(&l->word, memory_order_relaxed);
    /* n -> n+1 while no writer holds it; a failed CAS reloads v (another
     * reader came or went, or a writer got in) and we look again.  Acquire
     * pairs with the release store of 0 in wrunlock. */
    while (!(v & CPAT_RWLOCK_SPIN_WRITER))
        if (atomic_compare_exchange_weak_explicit(&l->word, &v, v + 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    return EAGAIN;
}

static inline int cpat_rwlock_spin_trywr(struct cpat_rwlock_spin *l) {
    uint32_t free_ = 0;
    /* 0 -> WRITER.  Acquire pairs with the release store of 0 in wrunlock
     * and the release decrement in rdunlock of the last reader. */
    return atomic_compare_exchange_strong_explicit(&l->word, &free_, CPAT_RWLOCK_SPIN_WRITER,
                                                   memory_order_acquire, memory_order_relaxed)
               ? 0
               : EAGAIN;
}

void cpat_rwlock_spin_rdlock_slow(struct cpat_rwlock_spin *l);
void cpat_rwlock_spin_wrlock_slow(struct cpat_rwlock_spin *l);

static inline void cpat_rwlock_spin_rdlock(struct cpat_rwlock_spin *l) {
    if (cpat_rwlock_spin_tryrd(l))
        cpat_rwlock_spin_rdlock_slow(l);
}

static inline void cpat_rwlock_spin_wrlock(struct cpat_rwlock_spin *l) {
    if (cpat_rwlock_spin_trywr(l))
        cpat_rwlock_spin_wrlock_slow(l);
}

static inline int cpat_rwlock_spin_rdunlock(struct cpat_rwlock_spin *l) {
    /* A reader that holds the lock keeps the count above 0, so a count of
     * 0 means the caller holds no read lock (best effort: with other
     * readers inside, a stray rdunlock takes one of theirs). */
    if ((atomic_load_explicit(&l->word, memory_order_relaxed) & ~CPAT_RWLOCK_SPIN_WRITER) == 0)
        return EINVAL;
    /* n -> n-1.  Release pairs with the acquire CAS of the next writer. */
    atomic_fetch_sub_explicit(&l->word, 1, memory_order_release);
    return 0;
}

static inline int cpat_rwlock_spin_wrunlock(struct cpat_rwlock_spin *l) {
    /* Only the writer changes the word while it holds it: a relaxed look
     * suffices to catch a wrunlock of a lock not write-held. */
    if (atomic_load_explicit(&l->word, memory_order_relaxed) != CPAT_RWLOCK_SPIN_WRITER)
        return EINVAL;
    /* WRITER -> 0.  Release pairs with the acquire CAS of the next reader
     * or writer: our section happens-before theirs. */
    atomic_store_explicit(&l->word, 0, memory_order_release);
    return 0;
}

#endif
