/* atomic channel: lock-free, and a blocked thread only spins, backs off and
 * yields -- it never sleeps in the kernel.
 *
 * Capacity > 0: a bounded MPMC ring with a sequence number per cell
 * (Vyukov).  `size` cells, a power of two >= cap; positions count up
 * forever and pos & mask is the cell.
 *   tail   next position to send to, | CLOSED (bit 63) once closed.  A
 *          sender claims position p by CAS tail p -> p+1, so a close
 *          (fetch_or CLOSED) between its load and its CAS fails the CAS:
 *          no send is taken after close, none is lost
 *   head   next position to receive from; a receiver claims it by CAS
 *   cell.seq, for the cell of position p:
 *          p            free: the sender of p may write it
 *          p + 1        full: holds p's value (sender's release store)
 *          p + size     read: free for the sender of p + size
 *                       (receiver's release store)
 *   Each acquire load of seq pairs with the release store that made it:
 *   a receiver sees the value its sender wrote; a sender reuses a cell only
 *   after its last receiver is done reading it.
 *   Capacity is exact: a sender claims p only while p - head < cap (head
 *   only grows, so a stale head errs towards "full").  size > cap, so the
 *   cell's previous position, p - size, was claimed by a receiver when the
 *   capacity check passed: a send fails on a cell still being read only
 *   while that receiver is between its claim and its release store.
 *
 * Capacity 0 (rendezvous): the same ring carries *offers*, one per blocked
 * sender (64 cells: more blocked senders wait for a free cell), and a
 * sender returns only when a receiver has taken its offer.  state[cell],
 * for the offer at position p:
 *   p << 2 | OFFERED    the sender waits (written before seq's release)
 *   p << 2 | TAKEN      a receiver won it by CAS: the send is done
 *   p << 2 | WITHDRAWN  the sender won it by CAS at its deadline or on
 *                       close: nothing was sent; a receiver that meets it
 *                       frees the cell and looks further
 *   The position in the state makes a sender's CAS fail on a later offer
 *   in the same cell (no ABA).  A receiver's CAS (acq_rel) pairs with the
 *   sender's acquire load of the state.
 *   rwait counts receivers waiting in recv or select: a trysend only offers
 *   when one is there (Go: a non-blocking send on an unbuffered channel
 *   succeeds only if a receiver is ready), and withdraws if none takes the
 *   offer within CPAT_CHAN_ATOMIC_OFFER_NS.
 */
#ifndef CPAT_CHAN_ATOMIC_H
#define CPAT_CHAN_ATOMIC_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpat/chan.h"

#define CPAT_CHAN_ATOMIC_CLOSED   (1ull << 63)
#define CPAT_CHAN_ATOMIC_OFFERS   64     /* cells of a capacity-0 channel */
#define CPAT_CHAN_ATOMIC_OFFER_NS 20000u /* how long a trysend's offer waits */

enum { ACHAN_OFFERED = 1, ACHAN_TAKEN = 2, ACHAN_WITHDRAWN = 3 };

/* 16 bytes: four cells share a line, so a receiver that trails its sender
 * pulls up to four values per line transfer. */
struct cpat_achan_cell {
    _Atomic uint64_t seq;
    void *value;
};

struct cpat_chan_atomic {
    alignas(64) _Atomic uint64_t tail; /* senders' line */
    /* A head seen by some sender (<= head): senders read the receivers'
     * line only when the capacity check fails against it. */
    _Atomic uint64_t head_seen;
    alignas(64) _Atomic uint64_t head; /* receivers' line */
    _Atomic uint32_t rwait;            /* capacity 0: receivers waiting */
    /* Set by close after the CLOSED bit: an empty channel's receivers
     * poll this read-mostly line, not the senders' tail. */
    alignas(64) _Atomic bool closed;
    size_t cap; /* read-only from here on */
    size_t mask;
    struct cpat_achan_cell *cells;
    _Atomic uint64_t *state; /* capacity 0: one offer state per cell */
};

/* Claims a position to send to and writes v into its cell.  0, EPIPE
 * (closed), EAGAIN (full).  *pos_out: the position (capacity 0: the
 * offer's). */
static inline int cpat_achan_enqueue(struct cpat_chan_atomic *ch, void *v, uint64_t *pos_out) {
    uint64_t t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
    for (;;) {
        if (t & CPAT_CHAN_ATOMIC_CLOSED)
            return EPIPE;
        if (ch->cap) { /* exact capacity against head (see the top) */
            uint64_t h = atomic_load_explicit(&ch->head_seen, memory_order_relaxed);
            if (t - h >= ch->cap) {
                h = atomic_load_explicit(&ch->head, memory_order_relaxed);
                atomic_store_explicit(&ch->head_seen, h, memory_order_relaxed);
            }
            int64_t n = (int64_t)(t - h);
            if (n < 0) { /* t is stale: receivers took positions sent after it */
                t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
                continue;
            }
            if ((uint64_t)n >= ch->cap)
                return EAGAIN;
        }
        struct cpat_achan_cell *c = &ch->cells[t & ch->mask];
        /* Acquire: pairs with the release store of seq by the cell's last
         * receiver, who is done with the cell. */
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - t);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&ch->tail, &t, t + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->value = v;
                if (!ch->cap)
                    atomic_store_explicit(&ch->state[t & ch->mask], t << 2 | ACHAN_OFFERED,
                                          memory_order_relaxed);
                /* Release: publishes the value (and the offer's state) to
                 * the receiver's acquire load of seq. */
                atomic_store_explicit(&c->seq, t + 1, memory_order_release);
                *pos_out = t;
                return 0;
            }
        } else if (dif < 0) {
            return EAGAIN; /* the cell's last value is still being read, or full */
        } else {
            t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
        }
    }
}

/* Takes the value at the head.  0, EPIPE (closed and drained), EAGAIN
 * (empty, or a sender between its claim and its publish).  Capacity 0: an
 * offer withdrawn before we won it is skipped. */
static inline int cpat_achan_dequeue(struct cpat_chan_atomic *ch, void **v) {
    uint64_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
    for (;;) {
        struct cpat_achan_cell *c = &ch->cells[h & ch->mask];
        /* Acquire: pairs with the sender's release store of seq = h + 1. */
        uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - (h + 1));
        if (dif == 0) {
            if (!atomic_compare_exchange_weak_explicit(&ch->head, &h, h + 1, memory_order_relaxed,
                                                       memory_order_relaxed))
                continue;
            bool taken = true;
            if (!ch->cap) {
                uint64_t offered = h << 2 | ACHAN_OFFERED;
                /* acq_rel: the sender's acquire load of the state sees TAKEN. */
                taken = atomic_compare_exchange_strong_explicit(
                    &ch->state[h & ch->mask], &offered, h << 2 | ACHAN_TAKEN, memory_order_acq_rel,
                    memory_order_relaxed);
            }
            void *got = c->value;
            /* Release: we are done with the cell; pairs with the acquire
             * load of the sender of h + size. */
            atomic_store_explicit(&c->seq, h + ch->mask + 1, memory_order_release);
            if (taken) {
                *v = got;
                return 0;
            }
            h = atomic_load_explicit(&ch->head, memory_order_relaxed); /* withdrawn: next */
        } else if (dif < 0) {
            /* Empty.  Closed only once close has finished (it sets the
             * flag after the bit); until then we are ordered before it. */
            if (!atomic_load_explicit(&ch->closed, memory_order_acquire))
                return EAGAIN;
            uint64_t t = atomic_load_explicit(&ch->tail, memory_order_acquire);
            if ((t & ~CPAT_CHAN_ATOMIC_CLOSED) == h) {
                *v = NULL;
                return EPIPE; /* closed, and no send was claimed past h */
            }
            return EAGAIN;
        } else {
            h = atomic_load_explicit(&ch->head, memory_order_relaxed);
        }
    }
}

static inline bool cpat_achan_closed(struct cpat_chan_atomic *ch) {
    return atomic_load_explicit(&ch->tail, memory_order_relaxed) & CPAT_CHAN_ATOMIC_CLOSED;
}

/* Slow and cold paths (atomic.c). */
int cpat_chan_atomic_make(struct cpat_chan_atomic **ch, size_t cap);
void cpat_chan_atomic_destroy(struct cpat_chan_atomic *ch);
int cpat_achan_send_slow(struct cpat_chan_atomic *ch, void *v, uint64_t deadline_ns);
int cpat_achan_recv_slow(struct cpat_chan_atomic *ch, void **v, uint64_t deadline_ns);
int cpat_chan_atomic_close(struct cpat_chan_atomic *ch);
int cpat_chan_atomic_select(struct cpat_select_case *cs, size_t n, uint64_t deadline_ns,
                            size_t *chosen);

/* deadline_ns: CPAT_DEFAULT tries once (EAGAIN), else absolute. */
static inline int cpat_achan_send(struct cpat_chan_atomic *ch, void *v, uint64_t deadline_ns) {
    uint64_t pos;
    if (ch->cap) {
        int r = cpat_achan_enqueue(ch, v, &pos);
        if (r != EAGAIN || deadline_ns == CPAT_DEFAULT)
            return r;
    }
    return cpat_achan_send_slow(ch, v, deadline_ns);
}

static inline int cpat_achan_recv(struct cpat_chan_atomic *ch, void **v, uint64_t deadline_ns) {
    int r = cpat_achan_dequeue(ch, v);
    if (r != EAGAIN || deadline_ns == CPAT_DEFAULT)
        return r;
    return cpat_achan_recv_slow(ch, v, deadline_ns);
}

static inline int cpat_chan_atomic_send(struct cpat_chan_atomic *ch, void *v) {
    return cpat_achan_send(ch, v, CPAT_FOREVER);
}
static inline int cpat_chan_atomic_recv(struct cpat_chan_atomic *ch, void **v) {
    return cpat_achan_recv(ch, v, CPAT_FOREVER);
}
static inline int cpat_chan_atomic_trysend(struct cpat_chan_atomic *ch, void *v) {
    return cpat_achan_send(ch, v, CPAT_DEFAULT);
}
static inline int cpat_chan_atomic_tryrecv(struct cpat_chan_atomic *ch, void **v) {
    return cpat_achan_recv(ch, v, CPAT_DEFAULT);
}
/* A deadline of 0 is in the past, not "don't wait": it times out. */
static inline int cpat_chan_atomic_send_until(struct cpat_chan_atomic *ch, void *v,
                                              uint64_t deadline_ns) {
    return cpat_achan_send(ch, v, deadline_ns ? deadline_ns : 1);
}
static inline int cpat_chan_atomic_recv_until(struct cpat_chan_atomic *ch, void **v,
                                              uint64_t deadline_ns) {
    return cpat_achan_recv(ch, v, deadline_ns ? deadline_ns : 1);
}

static inline size_t cpat_chan_atomic_len(struct cpat_chan_atomic *ch) {
    if (!ch->cap)
        return 0;
    /* tail first: it is <= head + cap when read, and head only grows, so
     * the difference never exceeds the capacity (read the other way round,
     * sends after the head read would count). */
    uint64_t t = atomic_load_explicit(&ch->tail, memory_order_acquire) & ~CPAT_CHAN_ATOMIC_CLOSED;
    uint64_t h = atomic_load_explicit(&ch->head, memory_order_relaxed);
    return t > h ? (size_t)(t - h) : 0;
}

static inline size_t cpat_chan_atomic_cap(struct cpat_chan_atomic *ch) {
    return ch->cap;
}

#endif
