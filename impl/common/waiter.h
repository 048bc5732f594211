/* The waiter: a blocked thread's record, shared by channels and select (and
 * by what is built on them).  A thread that must block puts one entry
 * (struct cpat_wentry) on the queue of every channel it watches -- one for
 * a send or a recv, one per case for a select -- all pointing to one waiter
 * on its own stack, and sleeps on the waiter.  Whoever can complete it (a
 * sender for a waiting receiver, a receiver for a waiting sender, close for
 * both) must first win the waiter by CAS; so a select with entries on
 * several channels is completed exactly once, and the losers' entries are
 * dropped by whoever finds them, or taken off by the waiter itself after it
 * wakes (it must, before its stack frame goes: see "Lifetime").
 *
 * w->state, the word the three kinds of wait watch:
 *   WAITING    0  queued; no waker has won it yet
 *   CLAIMED    1  a waker won it (CAS WAITING -> CLAIMED): it is moving the
 *                 value and will store DONE; no one else may touch it
 *   DONE       2  the waker is finished: w->fired, w->err and (a receiver's)
 *                 w->value are written (release store; the waiter's
 *                 acquire load of DONE pairs with it)
 *   CANCELLED  3  the waiter withdrew itself at its deadline (CAS WAITING ->
 *                 CANCELLED): no waker can win it any more, so nothing was
 *                 transferred -- a timed-out operation never also completes
 *   | PARKED   4  bit: the waiter is asleep or about to be (futex: in
 *                 FUTEX_WAIT on this word; condvar: holds or waits on w->m),
 *                 so the waker must wake it.  Only the waiter sets it, only
 *                 on WAITING or CLAIMED.
 *
 * How a waiter waits (w->kind):
 *   CPAT_WAIT_SPIN     polls with backoff and sched_yield; never the kernel
 *   CPAT_WAIT_FUTEX    polls briefly, then FUTEX_WAIT on w->state
 *   CPAT_WAIT_CONDVAR  polls briefly, then sleeps on w->c under w->m
 *
 * Lifetime.  The waiter and its entries live on the blocked thread's stack.
 * An entry is only reached through a channel's queue, under that channel's
 * lock; a waker that wins the waiter unlinks the entry first, so after DONE
 * only the waiter's own entries on the other channels remain, and the
 * waiter unlinks those (under each channel's lock) before it returns.  The
 * waker touches the waiter after its DONE store only in two ways: FUTEX_WAKE
 * on the word's address (harmless if the frame is gone: at worst a spurious
 * wake of another futex user, which every futex loop re-checks), and the
 * condvar kind's unlock of w->m, which POSIX allows to race with the
 * mutex's destruction by the next owner.
 */
#ifndef CPAT_COMMON_WAITER_H
#define CPAT_COMMON_WAITER_H

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/futex.h"
#include "common/spin.h"
#include "cpat/error.h"

enum { CPAT_WAIT_SPIN, CPAT_WAIT_FUTEX, CPAT_WAIT_CONDVAR };

enum {
    CPAT_WAITER_WAITING = 0,
    CPAT_WAITER_CLAIMED = 1,
    CPAT_WAITER_DONE = 2,
    CPAT_WAITER_CANCELLED = 3,
    CPAT_WAITER_PARKED = 4,
};
#define CPAT_WAITER_STATE(s) ((s)&3u)

/* How long a waiter polls before it sleeps.  A hand-off partner that is
 * running answers within a few cache-line round trips (~0.1-1 us); a futex
 * sleep and wake costs 20-60 us on a VM (limits.futex_rtt), so a waiter
 * polls for up to CPAT_WAITER_POLL_NS first, about half of that (the
 * classic spin-then-park bound, never worse than twice the better choice;
 * in time, not in PAUSEs: a PAUSE is ~15 ns on the AMD host this was
 * first tuned on and ~50 ns on Intel).  Measured on the 2-vCPU VM
 * (cpat-bench, medians of 3): futex chan.prodcons/cap:0 at 2 threads
 * 952 ns -> 304 ns per value going from ~4 to ~15 us of polling, cap:10
 * 445 -> 135 ns, the 8-thread points unchanged.
 *
 * Polling pays only while a PU is free for it.  Every
 * CPAT_WAITER_POLLS_PER_YIELD polls the waiter yields (a runnable thread
 * on its PU gets it) and, from the second time on, asks whether the
 * machine has a spare PU (cpat_waiter_poll_on): when more threads are
 * runnable than there are PUs it stops polling and sleeps.  Both are
 * needed.  The seed's pool at 2 workers has four threads on 2 PUs; with
 * 10 us jobs the collector's next result comes within its poll budget, so
 * a collector that never yielded polled without end and two workers ran
 * like one (futex pool.throughput/job_ns:10000 8.9 us per job, yielding
 * every 32 polls 5.3 us).  Yielding is not enough when the poller sits
 * alone on a PU and both workers on the other (the scheduler balances
 * runnable threads 2:1, and a yield with nothing else on the PU returns
 * at once): one process in three stayed in that state for its whole
 * life, at 10.7 us per job. */
#define CPAT_WAITER_POLL_NS         15000
#define CPAT_WAITER_YIELDS          4
#define CPAT_WAITER_POLLS_PER_YIELD 32

/* One entry of a channel's queue of blocked senders or receivers. */
struct cpat_wentry {
    struct cpat_wentry *next, *prev; /* the channel's queue, under its lock */
    struct cpat_waiter *w;
    void *value;    /* a sender's value (a receiver's lands in w->value) */
    uint32_t index; /* reported as w->fired: the select case, 0 for send/recv */
    bool queued;    /* still on the queue (under the channel's lock) */
};

/* Laid out so that a hand-off touches one line of the waiter's: the state,
 * what the waker writes, and the entry of a single send or recv (self);
 * the condvar kind's mutex and condvar follow. */
struct cpat_waiter {
    alignas(64) _Atomic uint32_t state; /* see above */
    uint16_t fired;                     /* the entry index the waker completed */
    uint8_t err;                        /* 0, or EPIPE: completed by close */
    uint8_t kind;                       /* CPAT_WAIT_* */
    void *value;             /* what a receiver got (fired, value, err: written before DONE) */
    struct cpat_wentry self; /* the entry of a single send or recv */
    pthread_mutex_t m;       /* CPAT_WAIT_CONDVAR only */
    pthread_cond_t c;
};

/* A FIFO of entries; only touched under the owning channel's lock. */
struct cpat_wqueue {
    struct cpat_wentry *first, *last;
    _Atomic uint32_t n; /* entries queued: written under the lock, read without as a hint */
};

static inline void cpat_waiter_init(struct cpat_waiter *w, int kind) {
    atomic_init(&w->state, CPAT_WAITER_WAITING);
    w->kind = (uint8_t)kind;
    w->fired = 0;
    w->err = 0;
    w->value = NULL;
    if (kind == CPAT_WAIT_CONDVAR) {
        /* Static initialisers: no allocation, nothing to destroy. */
        w->m = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
        w->c = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    }
}

/* A waker's claim: WAITING -> CLAIMED, keeping PARKED.  Fails when another
 * waker won (CLAIMED/DONE) or the waiter withdrew (CANCELLED).  The winner
 * may then read and write the entry's value: the waiter wrote it before it
 * queued the entry under the channel lock, which the waker holds. */
static inline bool cpat_waiter_claim(struct cpat_waiter *w) {
    /* Relaxed: the CAS only decides who owns the waiter; the data moves
     * under the channel lock (entry) and by DONE's release (result). */
    uint32_t s = atomic_load_explicit(&w->state, memory_order_relaxed);
    while (CPAT_WAITER_STATE(s) == CPAT_WAITER_WAITING)
        if (atomic_compare_exchange_weak_explicit(&w->state, &s,
                                                  (s & CPAT_WAITER_PARKED) | CPAT_WAITER_CLAIMED,
                                                  memory_order_relaxed, memory_order_relaxed))
            return true;
    return false;
}

/* The claimer finishes: records which entry fired and how, and stores DONE
 * (release: pairs with the acquire load in cpat_waiter_wait, so the value
 * written into the entry and w->fired/err are seen by the waiter), waking it
 * if it sleeps. */
static inline void cpat_waiter_done(struct cpat_waiter *w, uint32_t fired, int err) {
    w->fired = (uint16_t)fired;
    w->err = (uint8_t)err;
    if (w->kind == CPAT_WAIT_CONDVAR) {
        /* Without PARKED the waiter is polling and never touches w->m
         * before it sees DONE: one CAS finishes.  With PARKED it holds w->m
         * or waits on w->c, so store DONE under w->m, where it cannot miss
         * the signal nor return before we are done with the mutex. */
        uint32_t s = atomic_load_explicit(&w->state, memory_order_relaxed);
        while (!(s & CPAT_WAITER_PARKED))
            if (atomic_compare_exchange_weak_explicit(&w->state, &s, CPAT_WAITER_DONE,
                                                      memory_order_release, memory_order_relaxed))
                return;
        pthread_mutex_lock(&w->m);
        atomic_store_explicit(&w->state, CPAT_WAITER_DONE, memory_order_release);
        pthread_cond_signal(&w->c);
        pthread_mutex_unlock(&w->m);
        return;
    }
    uint32_t old = atomic_exchange_explicit(&w->state, CPAT_WAITER_DONE, memory_order_release);
    if (old & CPAT_WAITER_PARKED) /* only CPAT_WAIT_FUTEX sets it */
        cpat_futex_wake(&w->state, 1);
}

/* At the deadline: withdraw unless a waker has claimed us.  True when
 * withdrawn (nothing was or will be transferred); false when a waker owns
 * the waiter: it will store DONE shortly, and the operation succeeds. */
static inline bool cpat_waiter_cancel(struct cpat_waiter *w) {
    /* Relaxed: a withdrawal publishes nothing; losing it, the waiter
     * learns the outcome from DONE (acquire) in cpat_waiter_wait. */
    uint32_t s = atomic_load_explicit(&w->state, memory_order_relaxed);
    while (CPAT_WAITER_STATE(s) == CPAT_WAITER_WAITING)
        if (atomic_compare_exchange_weak_explicit(&w->state, &s, CPAT_WAITER_CANCELLED,
                                                  memory_order_relaxed, memory_order_relaxed))
            return true;
    return false;
}

int cpat_waiter_sleep(struct cpat_waiter *w, uint64_t deadline_ns);

/* Called every CPAT_WAITER_POLLS_PER_YIELD polls, with *t0 = 0 the first
 * time: yields and returns true to poll on, or false to stop polling
 * (CPAT_WAITER_POLL_NS since *t0 have passed, or the machine has no spare
 * PU: see above). */
bool cpat_waiter_poll_on(uint64_t *t0);

/* Blocks until a waker has finished with w (0) or the deadline passed with
 * no waker (ETIMEDOUT: withdrawn, see cpat_waiter_cancel).  deadline_ns is
 * absolute CLOCK_MONOTONIC, or CPAT_FOREVER (UINT64_MAX). */
static inline int cpat_waiter_wait(struct cpat_waiter *w, uint64_t deadline_ns) {
    uint64_t t0 = 0;
    for (unsigned i = 1;; i++) {
        /* The acquire load pairs with cpat_waiter_done's release. */
        if (atomic_load_explicit(&w->state, memory_order_acquire) == CPAT_WAITER_DONE)
            return 0;
        if (i % CPAT_WAITER_POLLS_PER_YIELD)
            cpat_cpu_relax();
        else if (!cpat_waiter_poll_on(&t0))
            break;
    }
    return cpat_waiter_sleep(w, deadline_ns);
}

/* Queue operations, under the owning channel's lock. */
static inline void cpat_wqueue_push(struct cpat_wqueue *q, struct cpat_wentry *e) {
    e->next = NULL;
    e->prev = q->last;
    if (q->last)
        q->last->next = e;
    else
        q->first = e;
    q->last = e;
    e->queued = true;
    atomic_store_explicit(&q->n, atomic_load_explicit(&q->n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline void cpat_wqueue_remove(struct cpat_wqueue *q, struct cpat_wentry *e) {
    if (!e->queued)
        return;
    if (e->prev)
        e->prev->next = e->next;
    else
        q->first = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        q->last = e->prev;
    e->queued = false;
    atomic_store_explicit(&q->n, atomic_load_explicit(&q->n, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

/* The first entry whose waiter we win, unlinked; NULL if none.  Entries
 * whose waiter was already won elsewhere (a select completed through
 * another channel) or withdrew are unlinked and skipped: their owner would
 * only have to take them off itself. */
static inline struct cpat_wentry *cpat_wqueue_pop_claimed(struct cpat_wqueue *q) {
    struct cpat_wentry *e;
    while ((e = q->first)) {
        cpat_wqueue_remove(q, e);
        if (cpat_waiter_claim(e->w))
            return e;
    }
    return NULL;
}

/* Whether the queue holds an entry a waker could still win (a snapshot). */
static inline bool cpat_wqueue_ready(const struct cpat_wqueue *q) {
    for (const struct cpat_wentry *e = q->first; e; e = e->next)
        if (CPAT_WAITER_STATE(atomic_load_explicit(&e->w->state, memory_order_relaxed)) ==
            CPAT_WAITER_WAITING)
            return true;
    return false;
}

#endif
