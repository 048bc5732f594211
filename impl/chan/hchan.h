/* The hand-off channel: Go's runtime channel (runtime/chan.go) in C, the
 * core of the `pthread` and `futex` variants, which differ only in their
 * lock and in how a blocked thread sleeps:
 *
 *   pthread  a pthread_mutex_t per channel; waiters sleep on a condvar
 *   futex    the 3-state futex word of mutex/futex.h, with a slow path
 *            for critical sections of a few dozen ns (hchan.c); waiters
 *            poll briefly, then sleep on their own futex word
 *
 * Everything below is done under the channel's lock:
 *   - buf[cap] is a ring of count values starting at head;
 *   - recvq / sendq hold the entries of blocked receivers / senders
 *     (common/waiter.h); a receiver is queued only while the buffer is
 *     empty, a sender only while it is full;
 *   - a send hands its value straight to the first receiver it can win
 *     from recvq (no trip through the buffer), else buffers it, else
 *     blocks; a recv takes the buffer's head and refills the freed slot
 *     from the first sender it can win from sendq, or (capacity 0) takes
 *     the sender's value straight from its entry, else blocks;
 *   - close marks the channel and wins every queued waiter with EPIPE.
 * The winner of a waiter completes it after unlocking (cpat_waiter_done),
 * so the wake-up syscall is never made under the channel lock.
 *
 * Happens-before: a sender's value is written before the lock release that
 * publishes the buffer slot or entry; the receiver reads it after its own
 * lock acquire (buffered), or after the acquire of DONE (hand-off to a
 * parked receiver, whose waiter the sender fills before its release of
 * DONE).
 *
 * `kind` (HCHAN_PTHREAD or HCHAN_FUTEX) is a compile-time constant in each
 * variant's direct form, so the inlined fast paths carry no branch on it.
 */
#ifndef CPAT_CHAN_HCHAN_H
#define CPAT_CHAN_HCHAN_H

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/waiter.h"
#include "cpat/chan.h"
#include "mutex/futex.h"

enum { HCHAN_PTHREAD, HCHAN_FUTEX };

/* What a hand-off touches comes first, on one line for the futex kind:
 * its lock, the counters and the queues; the pthread mutex (40 bytes) and
 * the read-mostly fields follow. */
struct cpat_hchan {
    alignas(64) struct cpat_mutex_futex fm; /* HCHAN_FUTEX's lock */
    /* Written under the lock; atomic (relaxed) so that a try-operation
     * may read them without it (see hchan_try_fails). */
    _Atomic bool closed;
    _Atomic size_t count;
    size_t head; /* the ring: count values from buf[head] */
    struct cpat_wqueue recvq, sendq;
    pthread_mutex_t pm; /* HCHAN_PTHREAD's lock */
    int kind;
    size_t cap;
    void *buf[]; /* cap slots */
};

void cpat_hchan_futex_lock_slow(struct cpat_mutex_futex *m);

static inline __attribute__((always_inline)) void hchan_lock(struct cpat_hchan *c, int kind) {
    if (kind == HCHAN_PTHREAD)
        pthread_mutex_lock(&c->pm);
    else if (cpat_mutex_futex_trylock(&c->fm))
        cpat_hchan_futex_lock_slow(&c->fm);
}

static inline __attribute__((always_inline)) void hchan_unlock(struct cpat_hchan *c, int kind) {
    if (kind == HCHAN_PTHREAD)
        pthread_mutex_unlock(&c->pm);
    else
        cpat_mutex_futex_unlock(&c->fm);
}

/* A waiter won under the lock, to complete after unlocking. */
struct hchan_wake {
    struct cpat_wentry *e;
    int err;
};

static inline void hchan_wake(struct hchan_wake *wk) {
    if (wk->e)
        cpat_waiter_done(wk->e->w, wk->e->index, wk->err);
}

/* Under the lock: one send without blocking.  0 sent (maybe a receiver to
 * wake in *wk), EPIPE closed, EAGAIN it would block. */
static inline __attribute__((always_inline)) int hchan_send_locked(struct cpat_hchan *c, void *v,
                                                                   struct hchan_wake *wk) {
    if (atomic_load_explicit(&c->closed, memory_order_relaxed))
        return EPIPE;
    struct cpat_wentry *e = cpat_wqueue_pop_claimed(&c->recvq);
    if (e) { /* a receiver is parked: hand the value straight to it */
        e->w->value = v;
        wk->e = e;
        return 0;
    }
    size_t n = atomic_load_explicit(&c->count, memory_order_relaxed);
    if (n < c->cap) {
        size_t tail = c->head + n;
        c->buf[tail >= c->cap ? tail - c->cap : tail] = v;
        atomic_store_explicit(&c->count, n + 1, memory_order_relaxed);
        return 0;
    }
    return EAGAIN;
}

/* Under the lock: one recv without blocking.  0 received (maybe a sender to
 * wake in *wk), EPIPE closed and drained (*v = NULL), EAGAIN it would
 * block. */
static inline __attribute__((always_inline)) int hchan_recv_locked(struct cpat_hchan *c, void **v,
                                                                   struct hchan_wake *wk) {
    size_t n = atomic_load_explicit(&c->count, memory_order_relaxed);
    if (n) {
        *v = c->buf[c->head];
        c->head = c->head + 1 == c->cap ? 0 : c->head + 1;
        n--;
        /* A parked sender (the buffer was full): its value takes the freed
         * slot at the tail. */
        struct cpat_wentry *e = cpat_wqueue_pop_claimed(&c->sendq);
        if (e) {
            size_t tail = c->head + n;
            c->buf[tail >= c->cap ? tail - c->cap : tail] = e->value;
            n++;
            wk->e = e;
        }
        atomic_store_explicit(&c->count, n, memory_order_relaxed);
        return 0;
    }
    if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
        *v = NULL;
        return EPIPE;
    }
    struct cpat_wentry *e = cpat_wqueue_pop_claimed(&c->sendq);
    if (e) { /* capacity 0: take the value straight from the sender */
        *v = e->value;
        wk->e = e;
        return 0;
    }
    return EAGAIN;
}

/* A try-operation that would fail, seen without the lock (Go's fast path
 * in chansend/chanrecv): a recv on an empty channel, or a send on a full
 * one, that is not closed.  Sound because the first load (acquire, so the
 * second is not read before it) saw "would block" at some instant, and
 * closed, once set, stays set: not closed now means not closed then, so
 * the operation would have failed at that instant.  Queued entries count
 * whether or not they can still be won: "maybe ready" takes the lock. */
static inline __attribute__((always_inline)) bool hchan_try_fails(struct cpat_hchan *c, int dir) {
    bool blocked;
    if (c->cap)
        blocked = atomic_load_explicit(&c->count, memory_order_acquire) ==
                  (dir == CPAT_SEND ? c->cap : 0);
    else
        blocked = !atomic_load_explicit(dir == CPAT_SEND ? &c->recvq.n : &c->sendq.n,
                                        memory_order_acquire);
    return blocked && !atomic_load_explicit(&c->closed, memory_order_relaxed);
}

/* Slow paths (hchan.c), entered with the lock held; they unlock. */
int cpat_hchan_block(struct cpat_hchan *c, int kind, int dir, void **v, uint64_t deadline_ns);
int cpat_hchan_make(struct cpat_hchan **c, size_t cap, int kind);
void cpat_hchan_destroy(struct cpat_hchan *c);
int cpat_hchan_close(struct cpat_hchan *c, int kind);
int cpat_hchan_select(struct cpat_select_case *cs, size_t n, uint64_t deadline_ns, size_t *chosen,
                      int kind);

static inline __attribute__((always_inline)) int cpat_hchan_send(struct cpat_hchan *c, void *v,
                                                                 uint64_t deadline_ns, int kind) {
    if (deadline_ns == CPAT_DEFAULT && hchan_try_fails(c, CPAT_SEND))
        return EAGAIN;
    struct hchan_wake wk = {NULL, 0};
    hchan_lock(c, kind);
    int r = hchan_send_locked(c, v, &wk);
    if (r != EAGAIN || deadline_ns == CPAT_DEFAULT) {
        hchan_unlock(c, kind);
        hchan_wake(&wk);
        return r;
    }
    return cpat_hchan_block(c, kind, CPAT_SEND, &v, deadline_ns);
}

static inline __attribute__((always_inline)) int cpat_hchan_recv(struct cpat_hchan *c, void **v,
                                                                 uint64_t deadline_ns, int kind) {
    if (deadline_ns == CPAT_DEFAULT && hchan_try_fails(c, CPAT_RECV))
        return EAGAIN;
    struct hchan_wake wk = {NULL, 0};
    hchan_lock(c, kind);
    int r = hchan_recv_locked(c, v, &wk);
    if (r != EAGAIN || deadline_ns == CPAT_DEFAULT) {
        hchan_unlock(c, kind);
        hchan_wake(&wk);
        return r;
    }
    return cpat_hchan_block(c, kind, CPAT_RECV, v, deadline_ns);
}

static inline size_t cpat_hchan_len(struct cpat_hchan *c) {
    return atomic_load_explicit(&c->count, memory_order_relaxed);
}

/* The direct form of a variant V over the hand-off channel. */
#define CPAT_HCHAN_VARIANT(V, KIND)                                                                \
    struct cpat_chan_##V {                                                                         \
        struct cpat_hchan h;                                                                       \
    };                                                                                             \
    static inline int cpat_chan_##V##_make(struct cpat_chan_##V **ch, size_t cap) {                \
        return cpat_hchan_make((struct cpat_hchan **)ch, cap, KIND);                               \
    }                                                                                              \
    static inline void cpat_chan_##V##_destroy(struct cpat_chan_##V *ch) {                         \
        cpat_hchan_destroy(&ch->h);                                                                \
    }                                                                                              \
    static inline int cpat_chan_##V##_send(struct cpat_chan_##V *ch, void *v) {                    \
        return cpat_hchan_send(&ch->h, v, CPAT_FOREVER, KIND);                                     \
    }                                                                                              \
    static inline int cpat_chan_##V##_recv(struct cpat_chan_##V *ch, void **v) {                   \
        return cpat_hchan_recv(&ch->h, v, CPAT_FOREVER, KIND);                                     \
    }                                                                                              \
    static inline int cpat_chan_##V##_trysend(struct cpat_chan_##V *ch, void *v) {                 \
        return cpat_hchan_send(&ch->h, v, CPAT_DEFAULT, KIND);                                     \
    }                                                                                              \
    static inline int cpat_chan_##V##_tryrecv(struct cpat_chan_##V *ch, void **v) {                \
        return cpat_hchan_recv(&ch->h, v, CPAT_DEFAULT, KIND);                                     \
    }                                                                                              \
    static inline int cpat_chan_##V##_send_until(struct cpat_chan_##V *ch, void *v,                \
                                                 uint64_t deadline_ns) {                           \
        /* A deadline of 0 is in the past, not "don't wait": it times out. */                      \
        return cpat_hchan_send(&ch->h, v, deadline_ns ? deadline_ns : 1, KIND);                    \
    }                                                                                              \
    static inline int cpat_chan_##V##_recv_until(struct cpat_chan_##V *ch, void **v,               \
                                                 uint64_t deadline_ns) {                           \
        return cpat_hchan_recv(&ch->h, v, deadline_ns ? deadline_ns : 1, KIND);                    \
    }                                                                                              \
    static inline int cpat_chan_##V##_close(struct cpat_chan_##V *ch) {                            \
        return cpat_hchan_close(&ch->h, KIND);                                                     \
    }                                                                                              \
    static inline size_t cpat_chan_##V##_len(struct cpat_chan_##V *ch) {                           \
        return cpat_hchan_len(&ch->h);                                                             \
    }                                                                                              \
    static inline size_t cpat_chan_##V##_cap(struct cpat_chan_##V *ch) {                           \
        return ch->h.cap;                                                                          \
    }                                                                                              \
    static inline int cpat_chan_##V##_select(struct cpat_select_case *cs, size_t n,                \
                                             uint64_t deadline_ns, size_t *chosen) {               \
        return cpat_hchan_select(cs, n, deadline_ns, chosen, KIND);                                \
    }

#endif
