#include "rwlock/brlock.h"
#include "common/futex.h"
#include "common/heavy_fence.h"
#include "common/spin.h"
#include "rwlock/ops.h"

/* Polls of the word (one PAUSE each) before a waiter parks: about one short
 * write section, a fraction of a futex round trip. */
#define BRLOCK_WORD_POLLS 128

/* Polls of a reader's count (one PAUSE each: 3-50 us in all, by CPU) before a
 * waiting writer starts yielding the CPU between polls. */
#define BRLOCK_COUNT_POLLS_BEFORE_YIELD 1024

/* Wait until no writer holds the word: poll, then sleep on it. */
static void wait_word_free(struct cpat_rwlock_brlock *l) {
    for (int i = 0; i < BRLOCK_WORD_POLLS; i++) {
        if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0)
            return;
        cpat_cpu_relax();
    }
    /* The sleeper's half of the Dekker pair with wrunlock: count ourselves
     * in, heavy fence, then look at the word.  Either the unlocker's load
     * comes after our increment (it wakes us), or its store of 0 is
     * visible to the futex's check of the word (we do not sleep).
     * Relaxed: the pair carries no data; the caller's retry re-reads the
     * word with the ordering it needs. */
    atomic_fetch_add_explicit(&l->sleepers, 1, memory_order_relaxed);
    bool may_sleep = cpat_heavy_fence();
    while (atomic_load_explicit(&l->word, memory_order_relaxed)) {
        if (may_sleep)
            cpat_futex_wait(&l->word, 1, NULL); /* sleeps only while it reads 1 */
        else
            sched_yield();
    }
    atomic_fetch_sub_explicit(&l->sleepers, 1, memory_order_relaxed);
}

void cpat_rwlock_brlock_rdlock_slow(struct cpat_rwlock_brlock *l) {
    do
        wait_word_free(l);
    while (cpat_rwlock_brlock_tryread(l));
}

void cpat_rwlock_brlock_wrlock_slow(struct cpat_rwlock_brlock *l) {
    do
        wait_word_free(l);
    while (cpat_rwlock_brlock_lockword(l));
}

int cpat_rwlock_brlock_wait_readers(struct cpat_rwlock_brlock *l, bool wait) {
    /* Every thread that could have missed our word has an id below the
     * limit read after taking it (see cpat_thread_id_limit). */
    unsigned n = cpat_thread_id_limit();
    if (n > CPAT_RWLOCK_BRLOCK_SLOTS)
        n = CPAT_RWLOCK_BRLOCK_SLOTS;
    for (unsigned i = 0; i <= n; i++) {
        _Atomic uint32_t *count = i < n ? &l->slots[i].count : &l->overflow;
        /* seq_cst also acquires: pairs with the release store (or
         * fetch_sub) in rdunlock, or in a reader that withdrew.  A reader
         * leaves within one read section, so poll closely and yield only
         * once it has stayed long (preempted). */
        for (unsigned polls = 0; atomic_load_explicit(count, memory_order_seq_cst); polls++) {
            if (!wait)
                return EAGAIN;
            if (polls < BRLOCK_COUNT_POLLS_BEFORE_YIELD)
                cpat_cpu_relax();
            else
                sched_yield();
        }
    }
    return 0;
}

void cpat_rwlock_brlock_wake(struct cpat_rwlock_brlock *l) {
    /* Readers and writers sleep on the word alike: wake them all.  Writes
     * are rare in the mixes this lock is for, and every woken reader can
     * get in.  A sleeper that has not gone to sleep yet finds the word 0. */
    cpat_futex_wake(&l->word, CPAT_FUTEX_WAKE_ALL);
}

CPAT_RWLOCK_OPS(brlock, "variant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "big-reader lock: per-thread reader counts, one futex word for writers");
