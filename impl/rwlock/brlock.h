/* brlock rwlock: a big-reader lock (Hsieh & Weihl 1992; Linux's
 * percpu_rw_semaphore) with per-thread reader counts, and one word for the
 * writer that waiters can sleep on.
 *
 * Readers count themselves in a line of their own, so a read writes no line
 * another thread touches; a writer announces itself in one word every
 * reader reads, then waits until each reader's count is 0.  Against bravo
 * (bravo.h), which sends readers to an underlying rwlock while a writer is
 * about, a write here is one CAS, a scan of the counts (up to the highest
 * thread id handed out so far, common/thread_id.h) and a
 * plain store, so the lock suits mixes with a few percent of writes.  The
 * price is no queue: readers that wait out a writer retry when it leaves
 * and may find the next writer in, so a steady stream of writers can hold
 * readers off (Go's RWMutex, and rwlock/futex, hand the lock to the readers
 * that queued behind a writer).
 *
 * l->word:     0  no writer
 *              1  a writer holds the lock, or holds it and waits for the
 *                 readers inside to leave
 *              Writers take it 0 -> 1 (CAS) and give it back 1 -> 0 with a
 *              plain store; readers only read it.
 * l->sleepers: threads -- readers or writers -- sleeping, or about to, on
 *              the word until it reads 0.  A writer's unlock wakes them
 *              all when it reads > 0 after storing 0.  That store and load
 *              and a sleeper's increment and re-check of the word form a
 *              Dekker pair whose fence is all on the sleeper's side: it
 *              calls membarrier(2) between the two, which runs a full
 *              barrier on every CPU running one of our threads, so the
 *              unlock needs no locked instruction (see brlock.c).  Where
 *              membarrier is missing, waiters poll and yield instead of
 *              sleeping (the PARKS flag then overstates it).
 * l->slots[i].count:
 *              read locks thread id i (common/thread_id.h) holds, nested
 *              ones included -- or 1 for a moment while it tries for one
 *              and has not yet looked at the word (a trywr that sees that
 *              fails spuriously); only thread i writes it, a writer polls
 *              it
 * l->overflow: read locks held by threads whose id has no slot (id >=
 *              CPAT_RWLOCK_BRLOCK_SLOTS), with the same moment's 1 per
 *              trying thread; those threads share it with RMWs
 *
 * Read: count 0 -> 1, then look at the word; if a writer is in, withdraw
 * (count 1 -> 0), wait for the word to read 0 and retry.  Write: word
 * 0 -> 1, then wait until every count reads 0.  The word and the counts
 * form a Dekker pair (seq_cst on both sides): a reader either sees the
 * writer and withdraws, or the writer sees its count and waits for it.
 *
 * A waiting writer keeps new readers out, so its wait is bounded by the
 * longest read section in progress (writer-preferring).  Writers have no
 * queue among themselves either: a writer that slept competes for the word
 * again with writers that only spun.  A writer waiting for readers polls,
 * yielding the CPU once it has waited long (a preempted reader): readers
 * never look at the writer on the way out.
 *
 * As cpat/rwlock.h says, a thread must not take a read lock it already
 * holds.  A thread with a slot gets away with it (its count just goes up,
 * and a waiting writer waits for it anyway); one without a slot would
 * withdraw from the shared count and deadlock with a waiting writer.
 */
#ifndef CPAT_RWLOCK_BRLOCK_H
#define CPAT_RWLOCK_BRLOCK_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/thread_id.h"

#define CPAT_RWLOCK_BRLOCK_SLOTS 64

struct cpat_rwlock_brlock_slot {
    alignas(64) _Atomic uint32_t count;
};

struct cpat_rwlock_brlock {
    _Atomic uint32_t word;                 /* read by every reader */
    alignas(64) _Atomic uint32_t sleepers; /* written by waiters only */
    alignas(64) _Atomic uint32_t overflow; /* written by slotless readers */
    struct cpat_rwlock_brlock_slot slots[CPAT_RWLOCK_BRLOCK_SLOTS];
};

static inline int cpat_rwlock_brlock_init(struct cpat_rwlock_brlock *l) {
    atomic_init(&l->word, 0);
    atomic_init(&l->sleepers, 0);
    atomic_init(&l->overflow, 0);
    for (int i = 0; i < CPAT_RWLOCK_BRLOCK_SLOTS; i++)
        atomic_init(&l->slots[i].count, 0);
    return 0;
}

static inline void cpat_rwlock_brlock_destroy(struct cpat_rwlock_brlock *l) {
    (void)l;
}

/* The calling thread's count, or NULL when its id has no slot. */
static inline _Atomic uint32_t *cpat_rwlock_brlock_slot(struct cpat_rwlock_brlock *l) {
    unsigned id = cpat_thread_id();
    return id < CPAT_RWLOCK_BRLOCK_SLOTS ? &l->slots[id].count : NULL;
}

/* One attempt at a read lock: 0 if we now hold one, EAGAIN if a writer is
 * in (we then hold nothing). */
static inline int cpat_rwlock_brlock_tryread(struct cpat_rwlock_brlock *l) {
    _Atomic uint32_t *slot = cpat_rwlock_brlock_slot(l);
    if (slot) {
        uint32_t c = atomic_load_explicit(slot, memory_order_relaxed);
        if (c) {
            /* Nested (see above): we already hold a read lock, so no
             * writer is in (one may be waiting for us): the count needs no
             * ordering. */
            atomic_store_explicit(slot, c + 1, memory_order_relaxed);
            return 0;
        }
        /* A hint only: skip the exchange while a writer is plainly in. */
        if (atomic_load_explicit(&l->word, memory_order_relaxed))
            return EAGAIN;
        /* 0 -> 1, then look at the word: the reader's half of the Dekker
         * pair (seq_cst).  An exchange rather than a store: compilers emit
         * one locked xchg for it, where some emit mov + mfence. */
        atomic_exchange_explicit(slot, 1, memory_order_seq_cst);
        /* 0: we are in.  The load also acquires the release store of 0
         * in the last writer's unlock: its section happens-before ours. */
        if (atomic_load_explicit(&l->word, memory_order_seq_cst) == 0)
            return 0;
        /* 1 -> 0: a writer came in meanwhile and may be polling us. */
        atomic_store_explicit(slot, 0, memory_order_release);
        return EAGAIN;
    }
    /* No slot: the same protocol on the shared count. */
    atomic_fetch_add_explicit(&l->overflow, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&l->word, memory_order_seq_cst) == 0)
        return 0;
    atomic_fetch_sub_explicit(&l->overflow, 1, memory_order_release);
    return EAGAIN;
}

void cpat_rwlock_brlock_rdlock_slow(struct cpat_rwlock_brlock *l);

static inline void cpat_rwlock_brlock_rdlock(struct cpat_rwlock_brlock *l) {
    if (cpat_rwlock_brlock_tryread(l))
        cpat_rwlock_brlock_rdlock_slow(l);
}

static inline int cpat_rwlock_brlock_tryrd(struct cpat_rwlock_brlock *l) {
    return cpat_rwlock_brlock_tryread(l);
}

static inline int cpat_rwlock_brlock_rdunlock(struct cpat_rwlock_brlock *l) {
    _Atomic uint32_t *slot = cpat_rwlock_brlock_slot(l);
    if (slot) {
        uint32_t c = atomic_load_explicit(slot, memory_order_relaxed);
        if (c == 0)
            return EINVAL;
        /* c -> c - 1.  Release pairs with the acquire (seq_cst) poll of a
         * writer that waits for us: our section happens-before its. */
        atomic_store_explicit(slot, c - 1, memory_order_release);
        return 0;
    }
    /* Shared count: c -> c - 1 unless it is 0, so that a stray rdunlock
     * cannot wrap it (best effort beyond that: it may take another
     * slotless reader's unit).  Release as above. */
    uint32_t c = atomic_load_explicit(&l->overflow, memory_order_relaxed);
    do
        if (c == 0)
            return EINVAL;
    while (!atomic_compare_exchange_weak_explicit(&l->overflow, &c, c - 1, memory_order_release,
                                                  memory_order_relaxed));
    return 0;
}

void cpat_rwlock_brlock_wrlock_slow(struct cpat_rwlock_brlock *l);
/* Waits until no reader is inside (with `wait` false, gives up at the first
 * one found: 0 or EAGAIN).  The caller holds the word. */
int cpat_rwlock_brlock_wait_readers(struct cpat_rwlock_brlock *l, bool wait);
void cpat_rwlock_brlock_wake(struct cpat_rwlock_brlock *l);

static inline int cpat_rwlock_brlock_lockword(struct cpat_rwlock_brlock *l) {
    uint32_t none = 0;
    /* 0 -> 1: the writer's half of the Dekker pair (seq_cst); it also
     * acquires the release store in the last writer's unlock. */
    return atomic_compare_exchange_strong_explicit(&l->word, &none, 1, memory_order_seq_cst,
                                                   memory_order_relaxed)
               ? 0
               : EAGAIN;
}

static inline void cpat_rwlock_brlock_wrlock(struct cpat_rwlock_brlock *l) {
    if (cpat_rwlock_brlock_lockword(l))
        cpat_rwlock_brlock_wrlock_slow(l);
    cpat_rwlock_brlock_wait_readers(l, true);
}

static inline int cpat_rwlock_brlock_wrunlock(struct cpat_rwlock_brlock *l) {
    if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0)
        return EINVAL;
    /* 1 -> 0 with a plain store: a locked instruction would stall here
     * until the word's line came back from the readers polling it.
     * Release pairs with the seq_cst (acquire) load of the word in a
     * reader's fast path and with the next writer's CAS. */
    atomic_store_explicit(&l->word, 0, memory_order_release);
    /* The unlocker's half of the sleepers' Dekker pair: store the word,
     * then load the count.  The CPU's half of the fence comes from the
     * sleeper's membarrier; this keeps the compiler from swapping the two. */
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&l->sleepers, memory_order_relaxed))
        cpat_rwlock_brlock_wake(l);
    return 0;
}

static inline int cpat_rwlock_brlock_trywr(struct cpat_rwlock_brlock *l) {
    if (cpat_rwlock_brlock_lockword(l))
        return EAGAIN;
    if (cpat_rwlock_brlock_wait_readers(l, false) == 0)
        return 0;
    cpat_rwlock_brlock_wrunlock(l);
    return EAGAIN;
}

#endif
