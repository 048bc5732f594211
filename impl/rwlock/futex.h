/* futex rwlock: Go's sync.RWMutex protocol on futex words -- writer-
 * preferring, and fair to readers in turn: a writer that arrives blocks new
 * readers, and when it unlocks it admits every reader that queued behind it
 * before the next writer can get in.
 *
 * l->w:         futex mutex held by the writer that is pending or inside;
 *               it serializes writers
 * l->readers:   readers inside or queued, minus CPAT_RWLOCK_FUTEX_MAX_READERS
 *               while a writer is pending or inside:
 *                 >= 0   no writer: that many readers hold the lock
 *                 <  0   a writer is pending or inside; readers + MAX =
 *                        readers still leaving + readers queued behind it
 * l->departing: readers the pending writer still waits for; the one that
 *               brings it to 0 hands the writer the lock (it may dip below
 *               0 while the writer has not yet added its count)
 * l->rsem:      queued readers park here; the writer's unlock posts one
 *               token per reader it queued
 * l->wsem:      the pending writer parks here; the last departing reader
 *               posts it
 *
 * Uncontended, rdlock is one fetch_add, rdunlock a load (the misuse check)
 * and a fetch_sub, and wrlock /
 * wrunlock a mutex CAS plus one fetch_add.  Parking happens in cpat_sema
 * (which polls first, and wakes only recorded sleepers) and in the mutex.
 */
#ifndef CPAT_RWLOCK_FUTEX_H
#define CPAT_RWLOCK_FUTEX_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/sema.h"
#include "mutex/futex.h"

#define CPAT_RWLOCK_FUTEX_MAX_READERS (1 << 30)

struct cpat_rwlock_futex {
    struct cpat_mutex_futex w;
    _Atomic int32_t readers;
    _Atomic int32_t departing;
    alignas(64) struct cpat_sema rsem, wsem; /* polled by waiters: off the readers line */
};

static inline int cpat_rwlock_futex_init(struct cpat_rwlock_futex *l) {
    cpat_mutex_futex_init(&l->w);
    atomic_init(&l->readers, 0);
    atomic_init(&l->departing, 0);
    cpat_sema_init(&l->rsem);
    cpat_sema_init(&l->wsem);
    return 0;
}

static inline void cpat_rwlock_futex_destroy(struct cpat_rwlock_futex *l) {
    (void)l;
}

/* A writer is pending or inside.  Only its own wrunlock makes readers
 * non-negative again, so for that writer the answer cannot change under it. */
static inline bool cpat_rwlock_futex_writer(struct cpat_rwlock_futex *l) {
    return atomic_load_explicit(&l->readers, memory_order_relaxed) < 0;
}

static inline void cpat_rwlock_futex_rdlock(struct cpat_rwlock_futex *l) {
    /* Count ourselves in.  Old value >= 0: no writer, we hold the lock;
     * acquire pairs with the release add in wrunlock of the last writer.
     * Negative: a writer is pending or inside and will post us a token of
     * rsem when it unlocks (that wait acquires its release post). */
    if (atomic_fetch_add_explicit(&l->readers, 1, memory_order_acquire) < 0)
        cpat_sema_wait(&l->rsem);
}

void cpat_rwlock_futex_depart(struct cpat_rwlock_futex *l);

static inline int cpat_rwlock_futex_rdunlock(struct cpat_rwlock_futex *l) {
    /* Holding a read lock keeps readers away from 0 and from -MAX, so
     * either value means the caller holds none (best effort: with other
     * readers inside, a stray rdunlock takes one of theirs). */
    int32_t r = atomic_load_explicit(&l->readers, memory_order_relaxed);
    if (r == 0 || r == -CPAT_RWLOCK_FUTEX_MAX_READERS)
        return EINVAL;
    /* Count ourselves out.  Release pairs with the acquire subtract in
     * wrlock of a writer that arrives after us.  Old value <= 0: a writer
     * arrived while we held the lock and counted us in `departing`. */
    if (atomic_fetch_sub_explicit(&l->readers, 1, memory_order_release) <= 0)
        cpat_rwlock_futex_depart(l);
    return 0;
}

void cpat_rwlock_futex_wait_readers(struct cpat_rwlock_futex *l, int32_t inside);

static inline void cpat_rwlock_futex_wrlock(struct cpat_rwlock_futex *l) {
    /* Pairs with the previous writer's unlock of w. */
    cpat_mutex_futex_lock(&l->w);
    /* n -> n - MAX: readers arriving from now on queue.  The n readers
     * inside must leave first.  Acquire pairs with the release subtract in
     * rdunlock of readers that already left. */
    int32_t inside =
        atomic_fetch_sub_explicit(&l->readers, CPAT_RWLOCK_FUTEX_MAX_READERS, memory_order_acquire);
    if (inside)
        cpat_rwlock_futex_wait_readers(l, inside);
}

static inline int cpat_rwlock_futex_wrunlock(struct cpat_rwlock_futex *l) {
    if (!cpat_rwlock_futex_writer(l))
        return EINVAL;
    /* n - MAX -> n: let readers in again; the n that queued behind us get
     * one token each.  Release pairs with the acquire add in rdlock of
     * readers arriving from now on; the post (release) with the queued
     * readers' acquire of their token. */
    int32_t queued = atomic_fetch_add_explicit(&l->readers, CPAT_RWLOCK_FUTEX_MAX_READERS,
                                               memory_order_release) +
                     CPAT_RWLOCK_FUTEX_MAX_READERS;
    if (queued > 0)
        cpat_sema_post(&l->rsem, queued);
    return cpat_mutex_futex_unlock(&l->w);
}

static inline int cpat_rwlock_futex_tryrd(struct cpat_rwlock_futex *l) {
    int32_t r = atomic_load_explicit(&l->readers, memory_order_relaxed);
    /* n -> n+1 while no writer is pending or inside.  Acquire as in rdlock. */
    while (r >= 0)
        if (atomic_compare_exchange_weak_explicit(&l->readers, &r, r + 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    return EAGAIN;
}

static inline int cpat_rwlock_futex_trywr(struct cpat_rwlock_futex *l) {
    if (cpat_mutex_futex_trylock(&l->w))
        return EAGAIN;
    int32_t none = 0;
    /* 0 -> -MAX only when no reader is inside.  Acquire as in wrlock. */
    if (!atomic_compare_exchange_strong_explicit(&l->readers, &none, -CPAT_RWLOCK_FUTEX_MAX_READERS,
                                                 memory_order_acquire, memory_order_relaxed)) {
        cpat_mutex_futex_unlock(&l->w);
        return EAGAIN;
    }
    return 0;
}

#endif
