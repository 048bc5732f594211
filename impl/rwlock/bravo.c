#include "rwlock/bravo.h"
#include "common/spin.h"
#include "rwlock/ops.h"

#define BRAVO_SLOT_POLLS_BEFORE_YIELD 1024 /* 3-50 us of PAUSEs, by CPU */

/* Polls of the bias (one PAUSE each, ~35 ns here) a reader makes before it
 * queues on l->under. */
#define BRAVO_BIAS_POLLS 64

/* The fast path failed.  If only because a writer holds the bias, wait a
 * little for it to come back -- wrunlock restores it, so that is about one
 * write critical section -- and retry: a reader that queued on l->under
 * instead would fight the writer for that lock's cache line.  A thread
 * without a slot, or already reading through it (nesting), or a writer
 * that stays long, goes to l->under. */
void cpat_rwlock_bravo_rdlock_slow(struct cpat_rwlock_bravo *l) {
    _Atomic uint32_t *slot = cpat_rwlock_bravo_slot(l);
    for (int i = 0; slot && i < BRAVO_BIAS_POLLS; i++) {
        if (atomic_load_explicit(slot, memory_order_relaxed))
            break; /* nested: our slot is taken by our own outer read */
        /* Relaxed: a hint only; tryfast re-checks under the Dekker pair. */
        if (atomic_load_explicit(&l->rbias, memory_order_relaxed) &&
            cpat_rwlock_bravo_tryfast(l) == 0)
            return;
        cpat_cpu_relax();
    }
    cpat_rwlock_futex_rdlock(&l->under);
}

int cpat_rwlock_bravo_revoke(struct cpat_rwlock_bravo *l, bool wait) {
    /* 1 -> 0, then read the slots: the writer's half of the Dekker pair
     * (seq_cst; see the fast path in bravo.h).  Every thread that could
     * have seen the bias still on has an id below the limit read after the
     * store (see cpat_thread_id_limit). */
    atomic_store_explicit(&l->rbias, 0, memory_order_seq_cst);
    unsigned n = cpat_thread_id_scan(CPAT_RWLOCK_BRAVO_SLOTS);
    for (unsigned i = 0; i < n; i++) {
        /* seq_cst also acquires: pairs with the release store of 0 in
         * rdunlock (or in a withdrawing fast path).  A slot reader leaves
         * within one read-side section, so poll it closely (one PAUSE a
         * poll) and yield only once it has stayed long (preempted). */
        for (unsigned polls = 0; atomic_load_explicit(&l->slots[i].reading, memory_order_seq_cst);
             polls++) {
            if (!wait)
                return EAGAIN;
            cpat_poll_wait(polls, BRAVO_SLOT_POLLS_BEFORE_YIELD);
        }
    }
    return 0;
}

CPAT_RWLOCK_OPS(bravo, "variant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "BRAVO: per-thread reader slots biased to readers, over the futex rwlock");
