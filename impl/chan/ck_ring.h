/* ck_ring peer: Concurrency Kit's lock-free MPMC ring of pointers
 * (ck_ring_enqueue_mpmc / ck_ring_dequeue_mpmc), with what a user would add
 * around it to make a channel: blocking by polling with backoff, and a
 * closed flag.  What it cannot do, and so does not claim (see its flags):
 *   - capacity 0 (a ring holds values; there is no rendezvous);
 *   - select;
 *   - an exact capacity: a ring has a power-of-two size and holds one
 *     less, so cap() is the smallest 2^k - 1 >= the capacity asked for;
 *   - a close linearizable with send: a send that races with close may
 *     land after a receiver saw the channel closed and empty.
 * It is here as a peer for the buffered and non-blocking workloads. */
#ifndef CPAT_CHAN_CK_RING_H
#define CPAT_CHAN_CK_RING_H

#include <ck_ring.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpat/chan.h"

struct cpat_chan_ck_ring {
    alignas(64) struct ck_ring ring;
    alignas(64) _Atomic bool closed;
    struct ck_ring_buffer *buf;
};

int cpat_chan_ck_ring_make(struct cpat_chan_ck_ring **ch, size_t cap);
void cpat_chan_ck_ring_destroy(struct cpat_chan_ck_ring *ch);
int cpat_ck_ring_wait(struct cpat_chan_ck_ring *ch, void **v, bool send, uint64_t deadline_ns);

static inline int cpat_chan_ck_ring_trysend(struct cpat_chan_ck_ring *ch, void *v) {
    /* Acquire pairs with close's release (nothing more: see the top). */
    if (atomic_load_explicit(&ch->closed, memory_order_acquire))
        return EPIPE;
    return ck_ring_enqueue_mpmc(&ch->ring, ch->buf, v) ? 0 : EAGAIN;
}

static inline int cpat_chan_ck_ring_tryrecv(struct cpat_chan_ck_ring *ch, void **v) {
    if (ck_ring_dequeue_mpmc(&ch->ring, ch->buf, v))
        return 0;
    if (!atomic_load_explicit(&ch->closed, memory_order_acquire))
        return EAGAIN;
    /* Closed: a send that completed before close must still come out. */
    if (ck_ring_dequeue_mpmc(&ch->ring, ch->buf, v))
        return 0;
    *v = NULL;
    return EPIPE;
}

static inline int cpat_chan_ck_ring_send_until(struct cpat_chan_ck_ring *ch, void *v,
                                               uint64_t deadline_ns) {
    int r = cpat_chan_ck_ring_trysend(ch, v);
    return r == EAGAIN ? cpat_ck_ring_wait(ch, &v, true, deadline_ns ? deadline_ns : 1) : r;
}

static inline int cpat_chan_ck_ring_recv_until(struct cpat_chan_ck_ring *ch, void **v,
                                               uint64_t deadline_ns) {
    int r = cpat_chan_ck_ring_tryrecv(ch, v);
    return r == EAGAIN ? cpat_ck_ring_wait(ch, v, false, deadline_ns ? deadline_ns : 1) : r;
}

static inline int cpat_chan_ck_ring_send(struct cpat_chan_ck_ring *ch, void *v) {
    return cpat_chan_ck_ring_send_until(ch, v, CPAT_FOREVER);
}

static inline int cpat_chan_ck_ring_recv(struct cpat_chan_ck_ring *ch, void **v) {
    return cpat_chan_ck_ring_recv_until(ch, v, CPAT_FOREVER);
}

static inline int cpat_chan_ck_ring_close(struct cpat_chan_ck_ring *ch) {
    return atomic_exchange_explicit(&ch->closed, true, memory_order_release) ? EPIPE : 0;
}

static inline size_t cpat_chan_ck_ring_len(struct cpat_chan_ck_ring *ch) {
    return ck_ring_size(&ch->ring);
}

static inline size_t cpat_chan_ck_ring_cap(struct cpat_chan_ck_ring *ch) {
    return ck_ring_capacity(&ch->ring) - 1;
}

#endif
