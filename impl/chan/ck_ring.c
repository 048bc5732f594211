#include "chan/ck_ring.h"

#include <stdlib.h>

#include "chan/ops.h"
#include "common/clock.h"
#include "common/spin.h"

int cpat_chan_ck_ring_make(struct cpat_chan_ck_ring **out, size_t cap) {
    *out = NULL;
    if (cap == 0 || cap > CPAT_CHAN_CAP_MAX)
        return EINVAL; /* no rendezvous (see ck_ring.h) */
    unsigned size = 2;
    while (size - 1 < cap)
        size <<= 1;
    struct cpat_chan_ck_ring *ch = aligned_alloc(64, sizeof *ch);
    struct ck_ring_buffer *buf = calloc(size, sizeof *buf);
    if (!ch || !buf) {
        free(ch);
        free(buf);
        return ENOMEM;
    }
    ck_ring_init(&ch->ring, size);
    atomic_init(&ch->closed, false);
    ch->buf = buf;
    *out = ch;
    return 0;
}

void cpat_chan_ck_ring_destroy(struct cpat_chan_ck_ring *ch) {
    if (!ch)
        return;
    free(ch->buf);
    free(ch);
}

/* A blocked send or recv: poll with bounded exponential backoff, yielding
 * at the cap, until it goes through, the channel closes or the deadline
 * passes. */
int cpat_ck_ring_wait(struct cpat_chan_ck_ring *ch, void **v, bool send, uint64_t deadline_ns) {
    struct cpat_backoff b = CPAT_BACKOFF_INIT(64);
    for (;;) {
        if (cpat_deadline_passed(deadline_ns))
            return ETIMEDOUT;
        cpat_backoff_wait(&b);
        int r = send ? cpat_chan_ck_ring_trysend(ch, *v) : cpat_chan_ck_ring_tryrecv(ch, v);
        if (r != EAGAIN)
            return r;
    }
}

CPAT_CHAN_OPS_NOSELECT(ck_ring, "peer", CPAT_CHAN_BLOCKING,
                       "Concurrency Kit's MPMC ring, polled with backoff; no select, no "
                       "capacity 0, capacity rounded up to 2^k - 1");
