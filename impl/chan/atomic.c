/* The atomic channel's waiting loops, offers, close and select.  See
 * atomic.h for the words and their states.  Every wait here spins with a
 * bounded exponential backoff and yields at its cap (common/spin.h). */
#include "chan/atomic.h"

#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>

#include "chan/ops.h"
#include "common/clock.h"
#include "common/fastrand.h"
#include "common/spin.h"

/* How a wait loop waits.  A rendezvous waits for one event that the
 * partner, if it runs, makes within a few hundred ns: it polls with a PAUSE
 * and yields every RDV_YIELD_EVERY polls (~1 us), so that it reacts at
 * once yet hands the CPU over on an oversubscribed machine.  A buffered
 * channel's empty receiver (or full sender) backs off exponentially from a
 * longer pause: meanwhile the other side moves several values through
 * lines nobody else touches, and they then cross in one transfer per line
 * instead of one per value. */
#define RDV_YIELD_EVERY 64
#define BUFFERED_FIRST  128 /* pauses */
#define BUFFERED_CAP    256

struct await {
    bool rdv;
    uint32_t polls;
    struct cpat_backoff b;
};

static struct await await_init(bool rdv) {
    return (struct await){.rdv = rdv, .b = {.spins = BUFFERED_FIRST, .cap = BUFFERED_CAP}};
}

static void await_once(struct await *w) {
    if (!w->rdv)
        cpat_backoff_wait(&w->b);
    else if (++w->polls % RDV_YIELD_EVERY)
        cpat_cpu_relax();
    else
        sched_yield();
}

int cpat_chan_atomic_make(struct cpat_chan_atomic **out, size_t cap) {
    *out = NULL;
    if (cap > CPAT_CHAN_CAP_MAX)
        return EINVAL;
    /* More cells than the capacity (see atomic.h), and at least 2: with
     * one, "full" (seq p + 1) and "read, free for p + size" (seq p + 1)
     * would be the same state. */
    size_t size = 2;
    while (size < (cap ? cap + 1 : CPAT_CHAN_ATOMIC_OFFERS))
        size <<= 1;
    struct cpat_chan_atomic *ch = aligned_alloc(64, sizeof *ch);
    /* Whole lines (aligned_alloc wants a multiple of the alignment). */
    struct cpat_achan_cell *cells = aligned_alloc(64, (size * sizeof *cells + 63) / 64 * 64);
    _Atomic uint64_t *state = cap ? NULL : calloc(size, sizeof *state);
    if (!ch || !cells || (!cap && !state)) {
        free(ch);
        free(cells);
        free(state);
        return ENOMEM;
    }
    atomic_init(&ch->tail, 0);
    atomic_init(&ch->head_seen, 0);
    atomic_init(&ch->head, 0);
    atomic_init(&ch->rwait, 0);
    atomic_init(&ch->closed, false);
    ch->cap = cap;
    ch->mask = size - 1;
    ch->cells = cells;
    ch->state = state;
    for (size_t i = 0; i < size; i++) {
        atomic_init(&cells[i].seq, i); /* free for position i */
        cells[i].value = NULL;
        if (state)
            atomic_init(&state[i], 0); /* no offer: no p << 2 | OFFERED matches */
    }
    *out = ch;
    return 0;
}

void cpat_chan_atomic_destroy(struct cpat_chan_atomic *ch) {
    if (!ch)
        return;
    free(ch->cells);
    free(ch->state);
    free(ch);
}

/* Capacity 0: withdraw the offer at pos unless a receiver took it.  True
 * when withdrawn (nothing sent). */
static bool withdraw(_Atomic uint64_t *state, uint64_t pos) {
    uint64_t offered = pos << 2 | ACHAN_OFFERED;
    return atomic_compare_exchange_strong_explicit(state, &offered, pos << 2 | ACHAN_WITHDRAWN,
                                                   memory_order_acquire, memory_order_acquire);
}

/* Capacity 0: offer v and wait until a receiver takes it, the deadline
 * passes (ETIMEDOUT) or the channel closes (EPIPE); the last two withdraw
 * the offer, unless a receiver won it first (then 0).  A trysend
 * (CPAT_DEFAULT) offers only to a waiting receiver, and waits for it
 * CPAT_CHAN_ATOMIC_OFFER_NS at most. */
static int offer(struct cpat_chan_atomic *ch, void *v, uint64_t deadline_ns) {
    int fail = ETIMEDOUT;
    if (deadline_ns == CPAT_DEFAULT) {
        if (cpat_achan_closed(ch))
            return EPIPE;
        if (!atomic_load_explicit(&ch->rwait, memory_order_relaxed))
            return EAGAIN;
        deadline_ns = cpat_now_ns() + CPAT_CHAN_ATOMIC_OFFER_NS;
        fail = EAGAIN;
    }
    struct await b = await_init(true);
    uint64_t pos;
    int r;
    while ((r = cpat_achan_enqueue(ch, v, &pos)) == EAGAIN) { /* 64 offers pending */
        if (cpat_deadline_passed(deadline_ns))
            return fail;
        await_once(&b);
    }
    if (r)
        return r; /* EPIPE */
    _Atomic uint64_t *state = &ch->state[pos & ch->mask];
    b = await_init(true);
    /* Acquire: pairs with the receiver's acq_rel CAS to TAKEN. */
    while (atomic_load_explicit(state, memory_order_acquire) == (pos << 2 | ACHAN_OFFERED)) {
        bool closed = cpat_achan_closed(ch);
        if ((closed || cpat_deadline_passed(deadline_ns)) && withdraw(state, pos))
            return closed ? EPIPE : fail;
        await_once(&b);
    }
    return 0; /* TAKEN, or the cell already carries a later offer */
}

int cpat_achan_send_slow(struct cpat_chan_atomic *ch, void *v, uint64_t deadline_ns) {
    if (!ch->cap)
        return offer(ch, v, deadline_ns);
    struct await b = await_init(false);
    for (;;) {
        if (cpat_deadline_passed(deadline_ns))
            return ETIMEDOUT;
        await_once(&b);
        uint64_t pos;
        int r = cpat_achan_enqueue(ch, v, &pos);
        if (r != EAGAIN)
            return r;
    }
}

int cpat_achan_recv_slow(struct cpat_chan_atomic *ch, void **v, uint64_t deadline_ns) {
    /* Relaxed: rwait is a hint for trysend, which re-checks by offering. */
    if (!ch->cap)
        atomic_fetch_add_explicit(&ch->rwait, 1, memory_order_relaxed);
    struct await b = await_init(!ch->cap);
    int r;
    for (;;) {
        if (cpat_deadline_passed(deadline_ns)) {
            r = ETIMEDOUT;
            break;
        }
        await_once(&b);
        if ((r = cpat_achan_dequeue(ch, v)) != EAGAIN)
            break;
    }
    if (!ch->cap)
        atomic_fetch_sub_explicit(&ch->rwait, 1, memory_order_relaxed);
    return r;
}

int cpat_chan_atomic_close(struct cpat_chan_atomic *ch) {
    /* Release: what the closer did before close happens-before a receiver
     * that sees the channel closed (its acquire load of tail). */
    uint64_t old =
        atomic_fetch_or_explicit(&ch->tail, CPAT_CHAN_ATOMIC_CLOSED, memory_order_release);
    if (old & CPAT_CHAN_ATOMIC_CLOSED)
        return EPIPE;
    /* Release: pairs with the acquire load of the flag by a receiver that
     * finds the channel empty; it then reads tail, and sees the bit. */
    atomic_store_explicit(&ch->closed, true, memory_order_release);
    return 0;
}

/* Counts a waiting select in (+1) or out (-1) of every capacity-0
 * channel it receives from, so that senders' trysends offer to it. */
static void select_rwait(struct cpat_select_case *cs, const uint8_t *idx, size_t m, int d) {
    for (size_t k = 0; k < m; k++) {
        struct cpat_chan_atomic *ch = cs[idx[k]].ch;
        if (!ch->cap && cs[idx[k]].dir == CPAT_RECV)
            atomic_fetch_add_explicit(&ch->rwait, (uint32_t)d, memory_order_relaxed);
    }
}

int cpat_chan_atomic_select(struct cpat_select_case *cs, size_t n, uint64_t deadline_ns,
                            size_t *chosen) {
    if (n > CPAT_SELECT_MAX)
        return EINVAL;
    uint8_t idx[CPAT_SELECT_MAX];
    size_t m = 0;
    /* Close polling if any case is a rendezvous (see struct await). */
    struct await b = await_init(false);
    for (size_t i = 0; i < n; i++)
        if (cs[i].ch) {
            idx[m++] = (uint8_t)i;
            if (!((struct cpat_chan_atomic *)cs[i].ch)->cap)
                b = await_init(true);
        }
    if (m == 0 && deadline_ns == CPAT_FOREVER)
        return EINVAL; /* Go's select {}: blocks for good */
    bool waiting = false;
    int r;
    for (;;) {
        /* A fresh uniformly random poll order every round (Fisher-Yates):
         * among ready cases each is taken with probability 1/m. */
        for (size_t k = m; k > 1; k--) {
            size_t j = cpat_fastrand_n((uint32_t)k);
            uint8_t t = idx[k - 1];
            idx[k - 1] = idx[j];
            idx[j] = t;
        }
        for (size_t k = 0; k < m; k++) {
            size_t i = idx[k];
            r = cs[i].dir == CPAT_SEND ? cpat_achan_send(cs[i].ch, cs[i].value, CPAT_DEFAULT)
                                       : cpat_achan_recv(cs[i].ch, &cs[i].value, CPAT_DEFAULT);
            if (r != EAGAIN) {
                *chosen = i;
                goto out;
            }
        }
        if (deadline_ns == CPAT_DEFAULT) {
            r = EAGAIN;
            goto out;
        }
        if (cpat_deadline_passed(deadline_ns)) {
            r = ETIMEDOUT;
            goto out;
        }
        if (!waiting) {
            select_rwait(cs, idx, m, +1);
            waiting = true;
        }
        await_once(&b);
    }
out:
    if (waiting)
        select_rwait(cs, idx, m, -1);
    return r;
}

CPAT_CHAN_OPS(atomic, "variant", CPAT_CHAN_FULL,
              "lock-free: Vyukov ring (cap > 0) or ring of withdrawable offers (cap 0); waits spin "
              "and yield");
