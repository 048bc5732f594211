/* bravo rwlock: BRAVO (Dice & Kogan, "BRAVO -- Biased Locking for
 * Reader-Writer Locks", USENIX ATC 2019) over the futex rwlock.  Readers
 * announce themselves in a slot of their own instead of counting in a
 * shared word, so on a read-mostly mix the read path writes no cache line
 * that another thread reads or writes.
 *
 * l->rbias:  1  readers may take the fast path through their slot
 *            0  a writer has revoked the bias: readers use l->under
 *            Only a writer holding l->under writes it.
 * l->slots[i].reading:
 *            1  thread id i (common/thread_id.h) holds a read lock through
 *               its slot
 *            0  it does not
 *            Only thread i writes its slot; a revoking writer polls it.
 * l->under:  the writer-preferring futex rwlock.  Writers always take it;
 *            readers take it when the bias is off, when their thread id has
 *            no slot (id >= CPAT_RWLOCK_BRAVO_SLOTS), or when they already
 *            read through their slot (a nested tryrd).
 *
 * Read fast path: exchange 1 into our slot, then check the bias; if it was
 * revoked meanwhile, withdraw (store 0) and take l->under.  Write: take
 * l->under (blocking slow readers and other writers), revoke the bias,
 * then wait until every slot reads 0; wrunlock restores the bias before it
 * releases l->under.  The flag and the slots form a Dekker pair (seq_cst
 * on both sides): a reader either sees the revocation and withdraws, or the
 * writer sees its slot and waits for it.
 *
 * Two departures from the paper, both for cheap writes:
 *  - The table is per lock and indexed by small thread ids, not a global
 *    table hashed by (thread, lock): there are no collisions among up to
 *    CPAT_RWLOCK_BRAVO_SLOTS live threads, a slot needs no CAS, and a
 *    writer scans only the ids handed out so far (cpat_thread_id_limit()),
 *    a handful of lines on a small machine.  Cost: 64 bytes per slot.
 *  - The bias comes back at every wrunlock instead of after an inhibition
 *    period of N times the revocation time: with revocation this cheap,
 *    an inhibition window would keep readers on the shared slow path for
 *    most of a 1%-write mix.
 * A writer waits out slot readers by polling with backoff (sched_yield at
 * the cap), as in the paper; readers and writers that wait on l->under
 * park there.
 */
#ifndef CPAT_RWLOCK_BRAVO_H
#define CPAT_RWLOCK_BRAVO_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/thread_id.h"
#include "rwlock/futex.h"

#define CPAT_RWLOCK_BRAVO_SLOTS 64

struct cpat_rwlock_bravo_slot {
    alignas(64) _Atomic uint32_t reading;
};

struct cpat_rwlock_bravo {
    _Atomic uint32_t rbias;                     /* read by every reader: a line of its own, which */
    alignas(64) struct cpat_rwlock_futex under; /* only writers and slow readers touch */
    struct cpat_rwlock_bravo_slot slots[CPAT_RWLOCK_BRAVO_SLOTS];
};

static inline int cpat_rwlock_bravo_init(struct cpat_rwlock_bravo *l) {
    atomic_init(&l->rbias, 1);
    for (int i = 0; i < CPAT_RWLOCK_BRAVO_SLOTS; i++)
        atomic_init(&l->slots[i].reading, 0);
    return cpat_rwlock_futex_init(&l->under);
}

static inline void cpat_rwlock_bravo_destroy(struct cpat_rwlock_bravo *l) {
    cpat_rwlock_futex_destroy(&l->under);
}

/* The calling thread's slot, or NULL when its id has none. */
static inline _Atomic uint32_t *cpat_rwlock_bravo_slot(struct cpat_rwlock_bravo *l) {
    unsigned id = cpat_thread_id();
    return id < CPAT_RWLOCK_BRAVO_SLOTS ? &l->slots[id].reading : NULL;
}

/* The fast path: 0 if we now hold a read lock through our slot. */
static inline int cpat_rwlock_bravo_tryfast(struct cpat_rwlock_bravo *l) {
    _Atomic uint32_t *slot = cpat_rwlock_bravo_slot(l);
    if (!slot || !atomic_load_explicit(&l->rbias, memory_order_relaxed) ||
        atomic_load_explicit(slot, memory_order_relaxed))
        return EAGAIN;
    /* 0 -> 1, then look at the bias: the reader's half of the Dekker pair
     * (seq_cst).  An exchange rather than a store: compilers emit one
     * locked xchg for it, where some emit mov + mfence for a seq_cst store. */
    atomic_exchange_explicit(slot, 1, memory_order_seq_cst);
    /* Still biased: we are in.  The load also acquires the release store
     * of 1 in wrunlock: the last writer's section happens-before ours. */
    if (atomic_load_explicit(&l->rbias, memory_order_seq_cst))
        return 0;
    /* 1 -> 0: revoked meanwhile; the revoking writer may be polling us. */
    atomic_store_explicit(slot, 0, memory_order_release);
    return EAGAIN;
}

void cpat_rwlock_bravo_rdlock_slow(struct cpat_rwlock_bravo *l);

static inline void cpat_rwlock_bravo_rdlock(struct cpat_rwlock_bravo *l) {
    if (cpat_rwlock_bravo_tryfast(l))
        cpat_rwlock_bravo_rdlock_slow(l);
}

static inline int cpat_rwlock_bravo_tryrd(struct cpat_rwlock_bravo *l) {
    if (cpat_rwlock_bravo_tryfast(l) == 0)
        return 0;
    return cpat_rwlock_futex_tryrd(&l->under);
}

static inline int cpat_rwlock_bravo_rdunlock(struct cpat_rwlock_bravo *l) {
    _Atomic uint32_t *slot = cpat_rwlock_bravo_slot(l);
    /* Our slot reads 1 only if we set it (nobody else writes it). */
    if (slot && atomic_load_explicit(slot, memory_order_relaxed)) {
        /* 1 -> 0.  Release pairs with the acquire (seq_cst) poll of a
         * revoking writer: our section happens-before its. */
        atomic_store_explicit(slot, 0, memory_order_release);
        return 0;
    }
    return cpat_rwlock_futex_rdunlock(&l->under);
}

/* Revokes the bias and waits until no slot reader is left; with `wait`
 * false, gives up at the first one found (0 or EAGAIN).  The caller holds
 * l->under for writing. */
int cpat_rwlock_bravo_revoke(struct cpat_rwlock_bravo *l, bool wait);

static inline void cpat_rwlock_bravo_wrlock(struct cpat_rwlock_bravo *l) {
    cpat_rwlock_futex_wrlock(&l->under);
    cpat_rwlock_bravo_revoke(l, true);
}

static inline int cpat_rwlock_bravo_wrunlock(struct cpat_rwlock_bravo *l) {
    if (!cpat_rwlock_futex_writer(&l->under))
        return EINVAL;
    /* 0 -> 1.  Release pairs with the seq_cst (acquire) load of the bias in
     * the fast path: our section happens-before every fast reader's. */
    atomic_store_explicit(&l->rbias, 1, memory_order_release);
    return cpat_rwlock_futex_wrunlock(&l->under);
}

static inline int cpat_rwlock_bravo_trywr(struct cpat_rwlock_bravo *l) {
    if (cpat_rwlock_futex_trywr(&l->under))
        return EAGAIN;
    if (cpat_rwlock_bravo_revoke(l, false) == 0)
        return 0;
    cpat_rwlock_bravo_wrunlock(l);
    return EAGAIN;
}

#endif
