/* Broken channels.  Each is a correct variant with one deliberate bug,
 * named after it; what it does not replace is the variant's own. */
#include <errno.h>
#include <stdatomic.h>

#include "chan/atomic.h"
#include "chan/futex.h"
#include "chan/ops.h"
#include "chan/pthread.h"
#include "mutants.h"

/* ring_publish_early: the atomic channel's buffered send publishes the
 * cell's sequence (release) before it writes the value, so a receiver that
 * sees the cell full reads what the cell held before: the value is not
 * published at all (C2, C6; TSan: the race on cell.value).  Only the fast
 * path is broken (a blocked send retries through the variant's own). */
#define cpat_chan_mutant_ring_publish_early            cpat_chan_atomic
#define cpat_chan_mutant_ring_publish_early_make       cpat_chan_atomic_make
#define cpat_chan_mutant_ring_publish_early_destroy    cpat_chan_atomic_destroy
#define cpat_chan_mutant_ring_publish_early_recv       cpat_chan_atomic_recv
#define cpat_chan_mutant_ring_publish_early_tryrecv    cpat_chan_atomic_tryrecv
#define cpat_chan_mutant_ring_publish_early_recv_until cpat_chan_atomic_recv_until
#define cpat_chan_mutant_ring_publish_early_close      cpat_chan_atomic_close
#define cpat_chan_mutant_ring_publish_early_len        cpat_chan_atomic_len
#define cpat_chan_mutant_ring_publish_early_cap        cpat_chan_atomic_cap
#define cpat_chan_mutant_ring_publish_early_select     cpat_chan_atomic_select

/* cpat_achan_enqueue for cap > 0, with the bug (and without head_seen,
 * an optimisation). */
static int publish_early_enqueue(struct cpat_chan_atomic *ch, void *v) {
    uint64_t t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
    for (;;) {
        if (t & CPAT_CHAN_ATOMIC_CLOSED)
            return EPIPE;
        int64_t n = (int64_t)(t - atomic_load_explicit(&ch->head, memory_order_relaxed));
        if (n < 0) {
            t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
            continue;
        }
        if ((uint64_t)n >= ch->cap)
            return EAGAIN;
        struct cpat_achan_cell *c = &ch->cells[t & ch->mask];
        int64_t dif = (int64_t)(atomic_load_explicit(&c->seq, memory_order_acquire) - t);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&ch->tail, &t, t + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                atomic_store_explicit(&c->seq, t + 1, memory_order_release); /* BUG: first */
                c->value = v;
                return 0;
            }
        } else if (dif < 0) {
            return EAGAIN;
        } else {
            t = atomic_load_explicit(&ch->tail, memory_order_relaxed);
        }
    }
}

static int publish_early_send(struct cpat_chan_atomic *ch, void *v, uint64_t deadline_ns) {
    if (ch->cap) {
        int r = publish_early_enqueue(ch, v);
        if (r != EAGAIN || deadline_ns == CPAT_DEFAULT)
            return r;
    }
    return cpat_achan_send_slow(ch, v, deadline_ns);
}
static int cpat_chan_mutant_ring_publish_early_send(struct cpat_chan_atomic *ch, void *v) {
    return publish_early_send(ch, v, CPAT_FOREVER);
}
static int cpat_chan_mutant_ring_publish_early_trysend(struct cpat_chan_atomic *ch, void *v) {
    return publish_early_send(ch, v, CPAT_DEFAULT);
}
static int cpat_chan_mutant_ring_publish_early_send_until(struct cpat_chan_atomic *ch, void *v,
                                                          uint64_t deadline_ns) {
    return publish_early_send(ch, v, deadline_ns ? deadline_ns : 1);
}
CPAT_CHAN_OPS(mutant_ring_publish_early, "mutant", CPAT_CHAN_FULL,
              "atomic channel whose ring publishes a cell before writing its value");

/* lost_wakeup: the futex channel's send completes a parked receiver's
 * waiter (DONE) without FUTEX_WAKE, so a receiver asleep in the kernel
 * sleeps on with its value (a hang: the watchdog, e.g. in C3). */
#define cpat_chan_mutant_lost_wakeup            cpat_chan_futex
#define cpat_chan_mutant_lost_wakeup_make       cpat_chan_futex_make
#define cpat_chan_mutant_lost_wakeup_destroy    cpat_chan_futex_destroy
#define cpat_chan_mutant_lost_wakeup_recv       cpat_chan_futex_recv
#define cpat_chan_mutant_lost_wakeup_tryrecv    cpat_chan_futex_tryrecv
#define cpat_chan_mutant_lost_wakeup_recv_until cpat_chan_futex_recv_until
#define cpat_chan_mutant_lost_wakeup_close      cpat_chan_futex_close
#define cpat_chan_mutant_lost_wakeup_len        cpat_chan_futex_len
#define cpat_chan_mutant_lost_wakeup_cap        cpat_chan_futex_cap
#define cpat_chan_mutant_lost_wakeup_select     cpat_chan_futex_select

static int lost_wakeup_send(struct cpat_chan_futex *ch, void *v, uint64_t deadline_ns) {
    struct cpat_hchan *c = &ch->h;
    struct hchan_wake wk = {NULL, 0};
    hchan_lock(c, HCHAN_FUTEX);
    int r = hchan_send_locked(c, v, &wk);
    if (r == EAGAIN && deadline_ns != CPAT_DEFAULT)
        return cpat_hchan_block(c, HCHAN_FUTEX, CPAT_SEND, &v, deadline_ns);
    hchan_unlock(c, HCHAN_FUTEX);
    if (wk.e) {
        wk.e->w->fired = (uint16_t)wk.e->index;
        wk.e->w->err = 0;
        /* BUG: no FUTEX_WAKE, though the receiver may have set PARKED */
        atomic_store_explicit(&wk.e->w->state, CPAT_WAITER_DONE, memory_order_release);
    }
    return r;
}
static int cpat_chan_mutant_lost_wakeup_send(struct cpat_chan_futex *ch, void *v) {
    return lost_wakeup_send(ch, v, CPAT_FOREVER);
}
static int cpat_chan_mutant_lost_wakeup_trysend(struct cpat_chan_futex *ch, void *v) {
    return lost_wakeup_send(ch, v, CPAT_DEFAULT);
}
static int cpat_chan_mutant_lost_wakeup_send_until(struct cpat_chan_futex *ch, void *v,
                                                   uint64_t deadline_ns) {
    return lost_wakeup_send(ch, v, deadline_ns ? deadline_ns : 1);
}
CPAT_CHAN_OPS(mutant_lost_wakeup, "mutant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "futex channel whose hand-off to a parked receiver does not wake it");

/* select_takes_two: the futex channel's select, having received on one
 * case, also takes a value from another ready recv case and drops it (S1,
 * S3). */
#define cpat_chan_mutant_select_takes_two            cpat_chan_futex
#define cpat_chan_mutant_select_takes_two_make       cpat_chan_futex_make
#define cpat_chan_mutant_select_takes_two_destroy    cpat_chan_futex_destroy
#define cpat_chan_mutant_select_takes_two_send       cpat_chan_futex_send
#define cpat_chan_mutant_select_takes_two_recv       cpat_chan_futex_recv
#define cpat_chan_mutant_select_takes_two_trysend    cpat_chan_futex_trysend
#define cpat_chan_mutant_select_takes_two_tryrecv    cpat_chan_futex_tryrecv
#define cpat_chan_mutant_select_takes_two_send_until cpat_chan_futex_send_until
#define cpat_chan_mutant_select_takes_two_recv_until cpat_chan_futex_recv_until
#define cpat_chan_mutant_select_takes_two_close      cpat_chan_futex_close
#define cpat_chan_mutant_select_takes_two_len        cpat_chan_futex_len
#define cpat_chan_mutant_select_takes_two_cap        cpat_chan_futex_cap

static int cpat_chan_mutant_select_takes_two_select(struct cpat_select_case *cs, size_t n,
                                                    uint64_t deadline_ns, size_t *chosen) {
    int r = cpat_chan_futex_select(cs, n, deadline_ns, chosen);
    if (r == 0 && cs[*chosen].dir == CPAT_RECV)
        for (size_t i = 0; i < n; i++) {
            void *dropped;
            if (i != *chosen && cs[i].ch && cs[i].dir == CPAT_RECV &&
                cpat_chan_futex_tryrecv(cs[i].ch, &dropped) == 0)
                break; /* BUG: a second value taken, and lost */
        }
    return r;
}
CPAT_CHAN_OPS(mutant_select_takes_two, "mutant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "futex channel whose select takes a second ready value and drops it");

/* close_wakes_one: the futex channel's close completes only the first
 * blocked receiver; the others sleep on (a hang: C5's close round). */
#define cpat_chan_mutant_close_wakes_one            cpat_chan_futex
#define cpat_chan_mutant_close_wakes_one_make       cpat_chan_futex_make
#define cpat_chan_mutant_close_wakes_one_destroy    cpat_chan_futex_destroy
#define cpat_chan_mutant_close_wakes_one_send       cpat_chan_futex_send
#define cpat_chan_mutant_close_wakes_one_recv       cpat_chan_futex_recv
#define cpat_chan_mutant_close_wakes_one_trysend    cpat_chan_futex_trysend
#define cpat_chan_mutant_close_wakes_one_tryrecv    cpat_chan_futex_tryrecv
#define cpat_chan_mutant_close_wakes_one_send_until cpat_chan_futex_send_until
#define cpat_chan_mutant_close_wakes_one_recv_until cpat_chan_futex_recv_until
#define cpat_chan_mutant_close_wakes_one_len        cpat_chan_futex_len
#define cpat_chan_mutant_close_wakes_one_cap        cpat_chan_futex_cap
#define cpat_chan_mutant_close_wakes_one_select     cpat_chan_futex_select

static int cpat_chan_mutant_close_wakes_one_close(struct cpat_chan_futex *ch) {
    struct cpat_hchan *c = &ch->h;
    hchan_lock(c, HCHAN_FUTEX);
    if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
        hchan_unlock(c, HCHAN_FUTEX);
        return EPIPE;
    }
    atomic_store_explicit(&c->closed, true, memory_order_relaxed);
    struct cpat_wentry *won = cpat_wqueue_pop_claimed(&c->recvq), *e; /* BUG: one receiver */
    if (won)
        won->next = NULL;
    while ((e = cpat_wqueue_pop_claimed(&c->sendq))) {
        e->next = won;
        won = e;
    }
    hchan_unlock(c, HCHAN_FUTEX);
    while ((e = won)) {
        won = e->next;
        cpat_waiter_done(e->w, e->index, EPIPE);
    }
    return 0;
}
CPAT_CHAN_OPS(mutant_close_wakes_one, "mutant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "futex channel whose close wakes only the first blocked receiver");

/* default_misses_last: the pthread channel's select with default polls
 * every case but the last one, so it returns EAGAIN while that case is
 * ready (S1). */
#define cpat_chan_mutant_default_misses_last            cpat_chan_pthread
#define cpat_chan_mutant_default_misses_last_make       cpat_chan_pthread_make
#define cpat_chan_mutant_default_misses_last_destroy    cpat_chan_pthread_destroy
#define cpat_chan_mutant_default_misses_last_send       cpat_chan_pthread_send
#define cpat_chan_mutant_default_misses_last_recv       cpat_chan_pthread_recv
#define cpat_chan_mutant_default_misses_last_trysend    cpat_chan_pthread_trysend
#define cpat_chan_mutant_default_misses_last_tryrecv    cpat_chan_pthread_tryrecv
#define cpat_chan_mutant_default_misses_last_send_until cpat_chan_pthread_send_until
#define cpat_chan_mutant_default_misses_last_recv_until cpat_chan_pthread_recv_until
#define cpat_chan_mutant_default_misses_last_close      cpat_chan_pthread_close
#define cpat_chan_mutant_default_misses_last_len        cpat_chan_pthread_len
#define cpat_chan_mutant_default_misses_last_cap        cpat_chan_pthread_cap

static int cpat_chan_mutant_default_misses_last_select(struct cpat_select_case *cs, size_t n,
                                                       uint64_t deadline_ns, size_t *chosen) {
    if (deadline_ns == CPAT_DEFAULT && n > 1)
        n--; /* BUG: off by one on the default path */
    return cpat_chan_pthread_select(cs, n, deadline_ns, chosen);
}
CPAT_CHAN_OPS(mutant_default_misses_last, "mutant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "pthread channel whose select with default skips the last case");

/* timeout_takes_value: the pthread channel's recv_until, at its deadline,
 * makes one last try, and drops what it gets while reporting ETIMEDOUT
 * (C8). */
#define cpat_chan_mutant_timeout_takes_value            cpat_chan_pthread
#define cpat_chan_mutant_timeout_takes_value_make       cpat_chan_pthread_make
#define cpat_chan_mutant_timeout_takes_value_destroy    cpat_chan_pthread_destroy
#define cpat_chan_mutant_timeout_takes_value_send       cpat_chan_pthread_send
#define cpat_chan_mutant_timeout_takes_value_recv       cpat_chan_pthread_recv
#define cpat_chan_mutant_timeout_takes_value_trysend    cpat_chan_pthread_trysend
#define cpat_chan_mutant_timeout_takes_value_tryrecv    cpat_chan_pthread_tryrecv
#define cpat_chan_mutant_timeout_takes_value_send_until cpat_chan_pthread_send_until
#define cpat_chan_mutant_timeout_takes_value_close      cpat_chan_pthread_close
#define cpat_chan_mutant_timeout_takes_value_len        cpat_chan_pthread_len
#define cpat_chan_mutant_timeout_takes_value_cap        cpat_chan_pthread_cap
#define cpat_chan_mutant_timeout_takes_value_select     cpat_chan_pthread_select

static int cpat_chan_mutant_timeout_takes_value_recv_until(struct cpat_chan_pthread *ch, void **v,
                                                           uint64_t deadline_ns) {
    int r = cpat_chan_pthread_recv_until(ch, v, deadline_ns);
    void *late;
    if (r == ETIMEDOUT)
        (void)cpat_chan_pthread_tryrecv(ch, &late); /* BUG: taken, yet ETIMEDOUT */
    return r;
}
CPAT_CHAN_OPS(mutant_timeout_takes_value, "mutant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "pthread channel whose timed-out recv_until still takes a value");

/* one_over_cap: the pthread channel holds one value more than it says
 * (cap() reports what was asked; capacity 0 buffers one): C7, C3. */
#define cpat_chan_mutant_one_over_cap            cpat_chan_pthread
#define cpat_chan_mutant_one_over_cap_destroy    cpat_chan_pthread_destroy
#define cpat_chan_mutant_one_over_cap_send       cpat_chan_pthread_send
#define cpat_chan_mutant_one_over_cap_recv       cpat_chan_pthread_recv
#define cpat_chan_mutant_one_over_cap_trysend    cpat_chan_pthread_trysend
#define cpat_chan_mutant_one_over_cap_tryrecv    cpat_chan_pthread_tryrecv
#define cpat_chan_mutant_one_over_cap_send_until cpat_chan_pthread_send_until
#define cpat_chan_mutant_one_over_cap_recv_until cpat_chan_pthread_recv_until
#define cpat_chan_mutant_one_over_cap_close      cpat_chan_pthread_close
#define cpat_chan_mutant_one_over_cap_len        cpat_chan_pthread_len
#define cpat_chan_mutant_one_over_cap_select     cpat_chan_pthread_select

static int cpat_chan_mutant_one_over_cap_make(struct cpat_chan_pthread **ch, size_t cap) {
    return cpat_chan_pthread_make(ch, cap + 1); /* BUG: one slot too many */
}
static size_t cpat_chan_mutant_one_over_cap_cap(struct cpat_chan_pthread *ch) {
    return cpat_chan_pthread_cap(ch) - 1;
}
CPAT_CHAN_OPS(mutant_one_over_cap, "mutant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "pthread channel that buffers one value more than its capacity");

/* close_drops_buffer: the futex channel's close throws away what is
 * buffered instead of letting it drain (C4). */
#define cpat_chan_mutant_close_drops_buffer            cpat_chan_futex
#define cpat_chan_mutant_close_drops_buffer_make       cpat_chan_futex_make
#define cpat_chan_mutant_close_drops_buffer_destroy    cpat_chan_futex_destroy
#define cpat_chan_mutant_close_drops_buffer_send       cpat_chan_futex_send
#define cpat_chan_mutant_close_drops_buffer_recv       cpat_chan_futex_recv
#define cpat_chan_mutant_close_drops_buffer_trysend    cpat_chan_futex_trysend
#define cpat_chan_mutant_close_drops_buffer_tryrecv    cpat_chan_futex_tryrecv
#define cpat_chan_mutant_close_drops_buffer_send_until cpat_chan_futex_send_until
#define cpat_chan_mutant_close_drops_buffer_recv_until cpat_chan_futex_recv_until
#define cpat_chan_mutant_close_drops_buffer_len        cpat_chan_futex_len
#define cpat_chan_mutant_close_drops_buffer_cap        cpat_chan_futex_cap
#define cpat_chan_mutant_close_drops_buffer_select     cpat_chan_futex_select

static int cpat_chan_mutant_close_drops_buffer_close(struct cpat_chan_futex *ch) {
    void *dropped;
    while (cpat_chan_futex_tryrecv(ch, &dropped) == 0) /* BUG: the buffer is thrown away */
        ;
    return cpat_chan_futex_close(ch);
}
CPAT_CHAN_OPS(mutant_close_drops_buffer, "mutant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "futex channel whose close discards the buffered values");

const struct vmutant_chan vmutants_chan[] = {
    {&cpat_chan_mutant_ring_publish_early_ops, true, "C1, C2, C6 (TSan: the race on value)"},
    {&cpat_chan_mutant_lost_wakeup_ops, false, "watchdog (C3)"},
    {&cpat_chan_mutant_select_takes_two_ops, false, "S1, S3"},
    {&cpat_chan_mutant_close_wakes_one_ops, false, "C5"},
    {&cpat_chan_mutant_default_misses_last_ops, false, "S1"},
    {&cpat_chan_mutant_timeout_takes_value_ops, false, "C8"},
    {&cpat_chan_mutant_one_over_cap_ops, false, "C3, C7"},
    {&cpat_chan_mutant_close_drops_buffer_ops, false, "C4"},
    {NULL, false, NULL},
};
