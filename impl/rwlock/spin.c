#include "rwlock/spin.h"
#include "rwlock/ops.h"

void cpat_rwlock_spin_rdlock_slow(struct cpat_rwlock_spin *l) {
    struct cpat_backoff b = CPAT_BACKOFF_INIT(CPAT_RWLOCK_SPIN_BACKOFF_CAP);
    for (;;) {
        cpat_backoff_wait(&b);
        /* Test with a plain load; CAS only when no writer holds it. */
        if (!(atomic_load_explicit(&l->word, memory_order_relaxed) & CPAT_RWLOCK_SPIN_WRITER) &&
            cpat_rwlock_spin_tryrd(l) == 0)
            return;
    }
}

void cpat_rwlock_spin_wrlock_slow(struct cpat_rwlock_spin *l) {
    struct cpat_backoff b = CPAT_BACKOFF_INIT(CPAT_RWLOCK_SPIN_BACKOFF_CAP);
    for (;;) {
        cpat_backoff_wait(&b);
        /* Test with a plain load; CAS only when the lock looks free. */
        if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0 &&
            cpat_rwlock_spin_trywr(l) == 0)
            return;
    }
}

CPAT_RWLOCK_OPS(spin, "variant", CPAT_RWLOCK_DETECTS_BAD_UNLOCK,
                "one word (reader count + writer bit), TTAS with backoff, reader-preferring");
