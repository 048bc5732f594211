#include "rwlock/brlock.h"
#include "common/futex.h"
#include "common/heavy_fence.h"
#include "common/spin.h"
#include "cpat/error.h"
#include "rwlock/ops.h"

/* Polls of the word (one PAUSE each) before a waiter parks: about one short
 * write section, a fraction of a futex round trip. */
#define BRLOCK_WORD_POLLS 128

/* Polls of a reader's slot (one PAUSE each) before a waiting writer
 * revokes a lease whose holder is not inside (a reader that reads often
 * gives it up within a few cache-line transfers), and before it starts
 * yielding the CPU while a reader stays inside (3-50 us in all, by CPU). */
#define BRLOCK_LEASE_POLLS        64
#define BRLOCK_POLLS_BEFORE_YIELD 1024

/* Wait until no writer holds the word: poll, then sleep on it. */
static void wait_word_free(struct cpat_rwlock_brlock *l) {
    for (int i = 0; i < BRLOCK_WORD_POLLS; i++) {
        if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0)
            return;
        cpat_cpu_relax();
    }
    if (!cpat_heavy_fence_ready()) { /* no fence: poll, and cost no unlock a wake */
        while (atomic_load_explicit(&l->word, memory_order_relaxed))
            sched_yield();
        return;
    }
    /* The sleeper's half of the Dekker pair with wrunlock: count ourselves
     * in, heavy fence, then look at the word.  Either the unlocker's load
     * comes after our increment (it wakes us), or its store of 0 is
     * visible to the futex's check of the word (we do not sleep).
     * Relaxed: the pair carries no data; the caller's retry re-reads the
     * word with the ordering it needs. */
    atomic_fetch_add_explicit(&l->sleepers, 1, memory_order_relaxed);
    bool may_sleep = cpat_heavy_fence() == 0;
    while (atomic_load_explicit(&l->word, memory_order_relaxed)) {
        if (may_sleep)
            cpat_futex_wait(&l->word, 1, NULL); /* sleeps only while it reads 1 */
        else
            sched_yield();
    }
    atomic_fetch_sub_explicit(&l->sleepers, 1, memory_order_relaxed);
}

int cpat_rwlock_brlock_tryread_slow(struct cpat_rwlock_brlock *l,
                                    struct cpat_rwlock_brlock_slot *me) {
    /* We have stored inside = 1; either the word showed a writer or we
     * hold no lease.  Relaxed: a hint; the load below decides. */
    if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0) {
        /* Take the lease: 0 -> 1 (or 1 -> 1 after a revocation we have
         * not seen), then look at the word: the reader's half of the
         * Dekker pair (seq_cst).  An exchange: one locked xchg, where
         * some compilers emit mov + mfence for a seq_cst store.  The
         * load also acquires the last writer's release of the word. */
        atomic_exchange_explicit(&me->lease, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&l->word, memory_order_seq_cst) == 0)
            return 0;
    }
    /* A writer is in: back out, inside first.  Release pairs with the
     * writer's acquire loads: it reads lease, then inside. */
    atomic_store_explicit(&me->inside, 0, memory_order_release);
    atomic_store_explicit(&me->lease, 0, memory_order_release);
    return EAGAIN;
}

void cpat_rwlock_brlock_rdlock_slow(struct cpat_rwlock_brlock *l) {
    do
        wait_word_free(l);
    while (cpat_rwlock_brlock_tryrd(l));
}

void cpat_rwlock_brlock_wrlock_slow(struct cpat_rwlock_brlock *l) {
    do
        wait_word_free(l);
    while (cpat_rwlock_brlock_lockword(l));
}

/* Waits out slot i: 0 once its lease and inside both read 0, EAGAIN (only
 * when !wait) if a reader is inside.  *fenced: the heavy fence has run
 * since we took the word. */
static int wait_slot(struct cpat_rwlock_brlock *l, struct cpat_rwlock_brlock_slot *s, bool wait,
                     bool *fenced) {
    for (unsigned polls = 0;; polls++) {
        /* seq_cst: the writer's half of the Dekker pair on the lease (and
         * acquire: pairs with the release store of 0 when the reader drops
         * it).  Then inside, acquire: pairs with the release store in
         * rdunlock or in a backing-out reader; read after the lease, so a
         * dropped lease shows the inside = 0 stored before it. */
        uint32_t lease = atomic_load_explicit(&s->lease, memory_order_seq_cst);
        uint32_t inside = atomic_load_explicit(&s->inside, memory_order_acquire);
        if (!lease && !inside)
            return 0;
        if (inside && !wait)
            return EAGAIN;
        if (lease && !inside && l->leases && (*fenced || polls >= BRLOCK_LEASE_POLLS)) {
            /* Its holder has not noticed us: revoke, after the heavy fence
             * (see brlock.h); the loop's next loads of inside are exact. */
            if (!*fenced) {
                /* Refused after it was granted at init: we cannot revoke,
                 * and the holder may never come back. */
                int e = cpat_heavy_fence();
                if (e)
                    cpat_die("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) to revoke a brlock "
                             "lease",
                             e);
                *fenced = true;
            }
            uint32_t one = 1;
            /* 1 -> 0 unless the holder dropped it meanwhile.  Relaxed: the
             * happens-before that matters runs from here through our
             * release of the word to the holder's acquire load of it. */
            if (atomic_load_explicit(&s->inside, memory_order_acquire) == 0)
                atomic_compare_exchange_strong_explicit(&s->lease, &one, 0, memory_order_relaxed,
                                                        memory_order_relaxed);
            continue;
        }
        /* A reader leaves within one read section, and a lease holder that
         * reads often drops its lease within a few cache-line transfers,
         * so poll closely and yield only once it has stayed long
         * (preempted). */
        cpat_poll_wait(polls, BRLOCK_POLLS_BEFORE_YIELD);
    }
}

int cpat_rwlock_brlock_wait_readers(struct cpat_rwlock_brlock *l, bool wait) {
    /* Every thread that could have missed our word has an id below the
     * limit read after taking it (see cpat_thread_id_limit): its id was
     * handed out before its seq_cst lease-taking.  A leased reader's id is
     * older still. */
    unsigned n = cpat_thread_id_scan(CPAT_RWLOCK_BRLOCK_SLOTS);
    /* A trywr gives up at the first reader inside: look for one before
     * anything costs a heavy fence.  Relaxed: a hint; wait_slot decides. */
    if (!wait)
        for (unsigned i = 0; i < n; i++)
            if (atomic_load_explicit(&l->slots[i].inside, memory_order_relaxed))
                return EAGAIN;
    bool fenced = false;
    for (unsigned i = 0; i < n; i++)
        if (wait_slot(l, &l->slots[i], wait, &fenced))
            return EAGAIN;
    /* seq_cst: the Dekker pair with slotless readers, and acquire of their
     * release fetch_sub / CAS. */
    for (unsigned polls = 0; atomic_load_explicit(&l->overflow, memory_order_seq_cst); polls++) {
        if (!wait)
            return EAGAIN;
        cpat_poll_wait(polls, BRLOCK_POLLS_BEFORE_YIELD);
    }
    return 0;
}

void cpat_rwlock_brlock_wake(struct cpat_rwlock_brlock *l) {
    /* Readers and writers sleep on the word alike: wake them all.  Writes
     * are rare in the mixes this lock is for, and every woken reader can
     * get in.  A sleeper that has not gone to sleep yet finds the word 0. */
    cpat_futex_wake(&l->word, CPAT_FUTEX_WAKE_ALL);
}

CPAT_RWLOCK_OPS(
    brlock, "variant",
    CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
    "big-reader lock with reader leases: fence-free reads, idle leases revoked by membarrier");
