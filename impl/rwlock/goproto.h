/* Go's sync.RWMutex protocol, written once and instantiated by two
 * variants that differ only in how their waiters wait:
 *
 *   CPAT_RWLOCK_GO(V, M)  struct cpat_rwlock_V and its inline operations,
 *                         with writers serialized by mutex variant M
 *   CPAT_RWLOCK_GO_SLOW(V) its out-of-line slow paths, in V's .c file,
 *                         which also defines
 *   void cpat_rwlock_V_sema_wait(struct cpat_sema *s): how a queued reader
 *                         or the pending writer takes its token
 *
 * rwlock/futex.h: M = futex, tokens taken by cpat_sema_wait (128 polls,
 * then park).  rwlock/adaptive.h: M = adaptive, tokens taken after a spin
 * for the measured park cost (common/park.h).
 *
 * The protocol: writer-preferring, and fair to readers in turn -- a writer
 * that arrives blocks new readers, and when it unlocks it admits every
 * reader that queued behind it before the next writer can get in.
 *
 * l->w:         mutex M held by the writer that is pending or inside; it
 *               serializes writers
 * l->readers:   readers inside or queued, minus CPAT_RWLOCK_GO_MAX_READERS
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
 * and a fetch_sub, and wrlock / wrunlock a mutex CAS plus one fetch_add.
 */
#ifndef CPAT_RWLOCK_GOPROTO_H
#define CPAT_RWLOCK_GOPROTO_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/sema.h"
#include "cpat/error.h"

#define CPAT_RWLOCK_GO_MAX_READERS (1 << 30)

#define CPAT_RWLOCK_GO(V, M)                                                                       \
    struct cpat_rwlock_##V {                                                                       \
        struct cpat_mutex_##M w;                                                                   \
        _Atomic int32_t readers;                                                                   \
        _Atomic int32_t departing;                                                                 \
        alignas(64) struct cpat_sema rsem, wsem; /* polled by waiters: off the readers line */     \
    };                                                                                             \
                                                                                                   \
    static inline int cpat_rwlock_##V##_init(struct cpat_rwlock_##V *l) {                          \
        cpat_mutex_##M##_init(&l->w);                                                              \
        atomic_init(&l->readers, 0);                                                               \
        atomic_init(&l->departing, 0);                                                             \
        cpat_sema_init(&l->rsem);                                                                  \
        cpat_sema_init(&l->wsem);                                                                  \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline void cpat_rwlock_##V##_destroy(struct cpat_rwlock_##V *l) {                      \
        cpat_mutex_##M##_destroy(&l->w);                                                           \
    }                                                                                              \
                                                                                                   \
    /* A writer is pending or inside.  Only its own wrunlock makes readers                         \
     * non-negative again, so for that writer the answer cannot change. */                         \
    static inline bool cpat_rwlock_##V##_writer(struct cpat_rwlock_##V *l) {                       \
        return atomic_load_explicit(&l->readers, memory_order_relaxed) < 0;                        \
    }                                                                                              \
                                                                                                   \
    void cpat_rwlock_##V##_sema_wait(struct cpat_sema *s);                                         \
    void cpat_rwlock_##V##_depart(struct cpat_rwlock_##V *l);                                      \
    void cpat_rwlock_##V##_wait_readers(struct cpat_rwlock_##V *l, int32_t inside);                \
                                                                                                   \
    static inline void cpat_rwlock_##V##_rdlock(struct cpat_rwlock_##V *l) {                       \
        /* Count ourselves in.  Old value >= 0: no writer, we hold the lock;                       \
         * acquire pairs with the release add in wrunlock of the last                              \
         * writer.  Negative: a writer is pending or inside and will post us                       \
         * a token of rsem when it unlocks (taking it acquires that post). */                      \
        if (atomic_fetch_add_explicit(&l->readers, 1, memory_order_acquire) < 0)                   \
            cpat_rwlock_##V##_sema_wait(&l->rsem);                                                 \
    }                                                                                              \
                                                                                                   \
    static inline int cpat_rwlock_##V##_rdunlock(struct cpat_rwlock_##V *l) {                      \
        /* Holding a read lock keeps readers away from 0 and from -MAX, so                         \
         * either value means the caller holds none (best effort: with                             \
         * other readers inside, a stray rdunlock takes one of theirs). */                         \
        int32_t r = atomic_load_explicit(&l->readers, memory_order_relaxed);                       \
        if (r == 0 || r == -CPAT_RWLOCK_GO_MAX_READERS)                                            \
            return EINVAL;                                                                         \
        /* Count ourselves out.  Release pairs with the acquire subtract in                        \
         * wrlock of a writer that arrives after us.  Old value <= 0: a                            \
         * writer arrived while we held the lock and counted us in                                 \
         * `departing`. */                                                                         \
        int32_t was = atomic_fetch_sub_explicit(&l->readers, 1, memory_order_release);             \
        if (was <= 0) {                                                                            \
            /* A stray rdunlock that raced past the check above: the count                         \
             * is now wrong and every later waiter would hang.  Say so, as                         \
             * Go does ("sync: RUnlock of unlocked RWMutex"). */                                   \
            if (was == 0 || was == -CPAT_RWLOCK_GO_MAX_READERS)                                    \
                cpat_die("rwlock rdunlock of a lock not read-locked", EINVAL);                     \
            cpat_rwlock_##V##_depart(l);                                                           \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static inline void cpat_rwlock_##V##_wrlock(struct cpat_rwlock_##V *l) {                       \
        /* Pairs with the previous writer's unlock of w. */                                        \
        cpat_mutex_##M##_lock(&l->w);                                                              \
        /* n -> n - MAX: readers arriving from now on queue.  The n readers                        \
         * inside must leave first.  Acquire pairs with the release                                \
         * subtract in rdunlock of readers that already left. */                                   \
        int32_t inside = atomic_fetch_sub_explicit(&l->readers, CPAT_RWLOCK_GO_MAX_READERS,        \
                                                   memory_order_acquire);                          \
        if (inside)                                                                                \
            cpat_rwlock_##V##_wait_readers(l, inside);                                             \
    }                                                                                              \
                                                                                                   \
    static inline int cpat_rwlock_##V##_wrunlock(struct cpat_rwlock_##V *l) {                      \
        if (!cpat_rwlock_##V##_writer(l))                                                          \
            return EINVAL;                                                                         \
        /* n - MAX -> n: let readers in again; the n that queued behind us                         \
         * get one token each.  Release pairs with the acquire add in rdlock                       \
         * of readers arriving from now on; the post (release) with the                            \
         * queued readers' acquire of their token. */                                              \
        int32_t queued = atomic_fetch_add_explicit(&l->readers, CPAT_RWLOCK_GO_MAX_READERS,        \
                                                   memory_order_release) +                         \
                         CPAT_RWLOCK_GO_MAX_READERS;                                               \
        if (queued > 0)                                                                            \
            cpat_sema_post(&l->rsem, queued);                                                      \
        return cpat_mutex_##M##_unlock(&l->w);                                                     \
    }                                                                                              \
                                                                                                   \
    static inline int cpat_rwlock_##V##_tryrd(struct cpat_rwlock_##V *l) {                         \
        int32_t r = atomic_load_explicit(&l->readers, memory_order_relaxed);                       \
        /* n -> n+1 while no writer is pending or inside.  Acquire as in                           \
         * rdlock. */                                                                              \
        while (r >= 0)                                                                             \
            if (atomic_compare_exchange_weak_explicit(&l->readers, &r, r + 1,                      \
                                                      memory_order_acquire, memory_order_relaxed)) \
                return 0;                                                                          \
        return EAGAIN;                                                                             \
    }                                                                                              \
                                                                                                   \
    static inline int cpat_rwlock_##V##_trywr(struct cpat_rwlock_##V *l) {                         \
        if (cpat_mutex_##M##_trylock(&l->w))                                                       \
            return EAGAIN;                                                                         \
        int32_t none = 0;                                                                          \
        /* 0 -> -MAX only when no reader is inside.  Acquire as in wrlock. */                      \
        if (!atomic_compare_exchange_strong_explicit(                                              \
                &l->readers, &none, -CPAT_RWLOCK_GO_MAX_READERS, memory_order_acquire,             \
                memory_order_relaxed)) {                                                           \
            cpat_mutex_##M##_unlock(&l->w);                                                        \
            return EAGAIN;                                                                         \
        }                                                                                          \
        return 0;                                                                                  \
    }

#define CPAT_RWLOCK_GO_SLOW(V)                                                                     \
    /* A reader leaving while a writer waits for it.  acq_rel: the reader                          \
     * that brings departing to 0 acquires the sections of the readers that                        \
     * left before it and passes them, with its own, to the writer through                         \
     * wsem (post is a release). */                                                                \
    void cpat_rwlock_##V##_depart(struct cpat_rwlock_##V *l) {                                     \
        if (atomic_fetch_sub_explicit(&l->departing, 1, memory_order_acq_rel) == 1)                \
            cpat_sema_post(&l->wsem, 1);                                                           \
    }                                                                                              \
                                                                                                   \
    /* The writer, having blocked new readers, waits for the `inside`                              \
     * readers that held the lock when it arrived.  Some may have left                             \
     * already (departing went below 0 by as many): if all have, the sum is                        \
     * 0 and nobody will post.  acq_rel: acquire pairs with the acq_rel                            \
     * decrements of those that left; the token acquires the last one's                            \
     * post. */                                                                                    \
    void cpat_rwlock_##V##_wait_readers(struct cpat_rwlock_##V *l, int32_t inside) {               \
        if (atomic_fetch_add_explicit(&l->departing, inside, memory_order_acq_rel) + inside != 0)  \
            cpat_rwlock_##V##_sema_wait(&l->wsem);                                                 \
    }

#endif
