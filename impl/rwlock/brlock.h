/* brlock rwlock: a big-reader lock (Hsieh & Weihl 1992; Linux's
 * percpu_rw_semaphore) with per-thread reader slots, where a reader that
 * holds a lease reads with plain loads and stores -- no locked instruction
 * -- and one word for the writer that waiters can sleep on.
 *
 * A reader announces itself in a line of its own, so a read writes no line
 * another thread touches; a writer takes one word that every reader reads,
 * then waits until no slot shows a reader.  Announcing needs a store-load
 * fence between the reader's store and its look at the word (the reader's
 * half of a Dekker pair), and that fence -- a locked instruction, ~5 ns --
 * is most of a read's cost.  Here a reader pays it only when it takes a
 * lease; while it holds one it reads fence-free, and it gives the lease up
 * when it sees a writer.  A writer that finds a lease waits briefly for
 * its holder to notice; a holder that stays away (idle, or preempted)
 * loses its lease to the writer, who first runs membarrier(2), a fence on
 * every CPU of the process, microseconds (common/heavy_fence.h).  So a
 * steady reader pays one fence per write it sees, an idle one a few
 * microseconds of one writer's time, once.
 *
 * Against bravo (bravo.h), which sends readers to an underlying rwlock
 * while a writer is about, a write here is one CAS, a scan of the slots
 * (up to the highest thread id handed out so far, common/thread_id.h) and
 * a plain store, so the lock suits mixes with a few percent of writes.
 * The price is no queue: readers that wait out a writer retry when it
 * leaves and may find the next writer in, so a steady stream of writers
 * can hold readers off (Go's RWMutex, and rwlock/futex, hand the lock to
 * the readers that queued behind a writer); writers have no queue among
 * themselves either.
 *
 * l->word:     0  no writer
 *              1  a writer holds the lock, or holds it and waits for the
 *                 readers inside to leave
 *              Writers take it 0 -> 1 (CAS) and give it back 1 -> 0 with a
 *              plain store; readers only read it.
 * l->sleepers: threads -- readers or writers -- sleeping, or about to, on
 *              the word until it reads 0.  A writer's unlock wakes them
 *              all when it reads > 0 after storing 0; that store and load
 *              and a sleeper's increment and re-check of the word form a
 *              Dekker pair whose fence is the sleeper's heavy fence, so
 *              the unlock needs no locked instruction (see brlock.c).
 * l->leases:   set at init, then read-only: the heavy fence works here, so
 *              readers may keep leases between reads.  Without it a reader
 *              gives its lease back at every unlock, and every read pays
 *              the fence.
 * l->slots[i]: thread id i's slot (only thread i writes it, except that a
 *              writer may take its lease away).  The lease belongs to the
 *              slot: a thread that gets a freed id inherits it, and reads
 *              by the same rules.
 *   .lease   0  thread i reads only after the fenced handshake below
 *            1  thread i looks at the word at every outermost rdlock and
 *               last rdunlock.  0 -> 1 (or 1 -> 1) only by the handshake;
 *               1 -> 0 when thread i backs out of a read because it saw a
 *               writer, at its last rdunlock when it sees a writer or
 *               leases are off, when it calls wrlock / trywr itself, and
 *               when a writer revokes it
 *   .inside  read locks thread i holds, nested ones included -- or 1
 *            while it tries for one, from its first store to the decision
 *            (a trywr that sees that fails spuriously)
 * l->overflow: read locks held by threads whose id has no slot (id >=
 *              CPAT_RWLOCK_BRLOCK_SLOTS), with the same moment's 1 per
 *              trying thread; those threads share it with RMWs
 *
 * Read with a lease: inside 0 -> 1, look at the word, then at the lease;
 * in if the word is 0 and the lease still 1.  Read without one (take the
 * lease): lease 0 -> 1, then look at the word (seq_cst on both: the
 * reader's half of the Dekker pair); in if it is 0.  Write: word 0 -> 1
 * (seq_cst: the writer's half), then for each slot wait until lease and
 * inside both read 0; a lease still held after a short wait is revoked:
 * heavy fence, wait for inside to read 0, lease 1 -> 0.
 *
 * Why a leased reader needs no fence.  While its lease is 1 no writer gets
 * past its slot, whatever the reader's loads saw, until the lease is
 * dropped -- always outside a read section -- or revoked.  A writer
 * revokes only after its heavy fence, which it runs after taking the word
 * and before the loads of inside that decide; every load after the fence
 * is exact.  A reader whose inside = 1 came before the fence is seen
 * inside and waited for; one whose came after it looks at the word after
 * it and sees the writer (or a later writer's release, below) and backs
 * out.  The word stays 1 for the whole scan, so one fence serves every
 * slot scanned after it.  A reader that looked at the lease before a
 * revocation but at the word after that writer had left reads the lease
 * after the word, with the word's load an acquire: the revocation
 * happens-before the writer's release of the word, so the reader sees 0
 * and takes the lease anew, fenced.  (The acquire is what orders the
 * lease load after the word load, on arm64 as in C11; on x86 it is free.)
 *
 * A waiting writer keeps new readers out, so its wait is bounded by the
 * longest read section in progress (writer-preferring).  A writer waiting
 * for readers polls, yielding the CPU once it has waited long (a preempted
 * reader): readers never look at the writer on the way out but to drop a
 * lease.
 *
 * As cpat/rwlock.h says, a thread must not take a read lock it already
 * holds.  A thread with a slot gets away with it (its inside just goes up,
 * and a waiting writer waits for it anyway); one without a slot would
 * withdraw from the shared count and deadlock with a waiting writer.  Not
 * async-signal-safe: a handler that reads while its thread is between
 * inside = 1 and the look at the word takes the nested path unchecked.
 *
 * Where membarrier is refused after it was granted at init (a seccomp
 * filter installed later), a writer that would revoke dies with a message
 * rather than wait for a holder that may never come back.
 */
#ifndef CPAT_RWLOCK_BRLOCK_H
#define CPAT_RWLOCK_BRLOCK_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heavy_fence.h"
#include "common/thread_id.h"

#define CPAT_RWLOCK_BRLOCK_SLOTS 64

struct cpat_rwlock_brlock_slot {
    alignas(64) _Atomic uint32_t lease;
    _Atomic uint32_t inside;
};

struct cpat_rwlock_brlock {
    _Atomic uint32_t word;                 /* read by every reader */
    bool leases;                           /* read-only after init: on the same line */
    alignas(64) _Atomic uint32_t sleepers; /* written by waiters only */
    alignas(64) _Atomic uint32_t overflow; /* written by slotless readers */
    struct cpat_rwlock_brlock_slot slots[CPAT_RWLOCK_BRLOCK_SLOTS];
};

static inline int cpat_rwlock_brlock_init(struct cpat_rwlock_brlock *l) {
    atomic_init(&l->word, 0);
    l->leases = cpat_heavy_fence_ready();
    atomic_init(&l->sleepers, 0);
    atomic_init(&l->overflow, 0);
    for (int i = 0; i < CPAT_RWLOCK_BRLOCK_SLOTS; i++) {
        atomic_init(&l->slots[i].lease, 0);
        atomic_init(&l->slots[i].inside, 0);
    }
    return 0;
}

static inline void cpat_rwlock_brlock_destroy(struct cpat_rwlock_brlock *l) {
    (void)l;
}

/* The calling thread's slot, or NULL when its id has none. */
static inline struct cpat_rwlock_brlock_slot *
cpat_rwlock_brlock_slot(struct cpat_rwlock_brlock *l) {
    unsigned id = cpat_thread_id();
    return id < CPAT_RWLOCK_BRLOCK_SLOTS ? &l->slots[id] : NULL;
}

int cpat_rwlock_brlock_tryread_slow(struct cpat_rwlock_brlock *l,
                                    struct cpat_rwlock_brlock_slot *me);

/* One attempt at a read lock (tryrd, and the retry of rdlock): 0 if we now
 * hold one, EAGAIN if a writer is in (we then hold nothing). */
static inline int cpat_rwlock_brlock_tryrd(struct cpat_rwlock_brlock *l) {
    struct cpat_rwlock_brlock_slot *me = cpat_rwlock_brlock_slot(l);
    if (me) {
        uint32_t c = atomic_load_explicit(&me->inside, memory_order_relaxed);
        if (c) {
            /* Nested (see above): we already hold a read lock, so no
             * writer is in (one may be waiting for us): inside needs
             * no ordering. */
            atomic_store_explicit(&me->inside, c + 1, memory_order_relaxed);
            return 0;
        }
        /* 0 -> 1 with a plain store.  With a lease that is all: see "Why
         * a leased reader needs no fence" above.  The signal fence keeps
         * the compiler from moving the store below the load of the word;
         * the CPU's half is a revoking writer's heavy fence. */
        atomic_store_explicit(&me->inside, 1, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);
        /* Acquire pairs with the release store of 0 in the last writer's
         * unlock: its section happens-before ours. */
        if (atomic_load_explicit(&l->word, memory_order_acquire) == 0 &&
            atomic_load_explicit(&me->lease, memory_order_relaxed))
            return 0;
        return cpat_rwlock_brlock_tryread_slow(l, me);
    }
    /* No slot: the Dekker pair on the shared count, every time. */
    atomic_fetch_add_explicit(&l->overflow, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&l->word, memory_order_seq_cst) == 0)
        return 0;
    /* Back out.  Release pairs with the writer's seq_cst (acquire) poll
     * of the shared count. */
    atomic_fetch_sub_explicit(&l->overflow, 1, memory_order_release);
    return EAGAIN;
}

void cpat_rwlock_brlock_rdlock_slow(struct cpat_rwlock_brlock *l);

static inline void cpat_rwlock_brlock_rdlock(struct cpat_rwlock_brlock *l) {
    if (cpat_rwlock_brlock_tryrd(l))
        cpat_rwlock_brlock_rdlock_slow(l);
}

static inline int cpat_rwlock_brlock_rdunlock(struct cpat_rwlock_brlock *l) {
    struct cpat_rwlock_brlock_slot *me = cpat_rwlock_brlock_slot(l);
    if (me) {
        uint32_t c = atomic_load_explicit(&me->inside, memory_order_relaxed);
        if (c == 0)
            return EINVAL;
        /* c -> c - 1.  Release pairs with the acquire loads of a writer
         * that waits for us: our section happens-before its. */
        atomic_store_explicit(&me->inside, c - 1, memory_order_release);
        /* Out for good: give the lease up if a writer waits for it (a
         * stale 0 here only delays that to our next rdlock, or to the
         * writer's revocation), or if leases cannot be revoked here.
         * 1 -> 0, release as above. */
        if (c == 1 && (atomic_load_explicit(&l->word, memory_order_relaxed) || !l->leases))
            atomic_store_explicit(&me->lease, 0, memory_order_release);
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
/* Waits until no reader is inside and no lease is held, revoking idle
 * leases.  With `wait` false, gives up at the first reader inside (0 or
 * EAGAIN).  The caller holds the word. */
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

/* A writer gives up its own lease before it takes or waits for the word:
 * it is not inside (a read lock held across wrlock deadlocks), and other
 * writers would otherwise wait for it, or revoke it.  Release: as any
 * lease drop (brlock.c). */
static inline void cpat_rwlock_brlock_drop_own_lease(struct cpat_rwlock_brlock *l) {
    struct cpat_rwlock_brlock_slot *me = cpat_rwlock_brlock_slot(l);
    if (me && atomic_load_explicit(&me->lease, memory_order_relaxed))
        atomic_store_explicit(&me->lease, 0, memory_order_release);
}

static inline void cpat_rwlock_brlock_wrlock(struct cpat_rwlock_brlock *l) {
    cpat_rwlock_brlock_drop_own_lease(l);
    if (cpat_rwlock_brlock_lockword(l))
        cpat_rwlock_brlock_wrlock_slow(l);
    cpat_rwlock_brlock_wait_readers(l, true);
}

static inline int cpat_rwlock_brlock_wrunlock(struct cpat_rwlock_brlock *l) {
    if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0)
        return EINVAL;
    /* 1 -> 0 with a plain store: a locked instruction would stall here
     * until the word's line came back from the readers polling it.
     * Release pairs with the acquire loads of the word in rdlock and with
     * the next writer's CAS. */
    atomic_store_explicit(&l->word, 0, memory_order_release);
    /* The unlocker's half of the sleepers' Dekker pair: store the word,
     * then load the count.  The CPU's half of the fence comes from the
     * sleeper's heavy fence; this keeps the compiler from swapping the
     * two. */
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&l->sleepers, memory_order_relaxed))
        cpat_rwlock_brlock_wake(l);
    return 0;
}

static inline int cpat_rwlock_brlock_trywr(struct cpat_rwlock_brlock *l) {
    cpat_rwlock_brlock_drop_own_lease(l);
    if (cpat_rwlock_brlock_lockword(l))
        return EAGAIN;
    if (cpat_rwlock_brlock_wait_readers(l, false) == 0)
        return 0;
    cpat_rwlock_brlock_wrunlock(l);
    return EAGAIN;
}

#endif
