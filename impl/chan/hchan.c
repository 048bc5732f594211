/* The hand-off channel's cold paths: make, close, blocking, and select
 * (Go's selectgo).  See hchan.h for the protocol. */
#include "chan/hchan.h"

#include <stdlib.h>
#include <string.h>

#include "common/fastrand.h"
#include "common/futex.h"
#include "common/spin.h"

/* The futex channel's lock when it is taken: the word and its states are
 * mutex/futex.h's (0 free, 1 held, 2 held and maybe sleepers), the policy
 * is a channel's.  Its critical sections are a few dozen ns, so a locker
 * spins while the holder runs -- even past a sleeper (state 2): parking
 * behind it would turn one preempted holder into a convoy of sleepers --
 * then yields (on an oversubscribed machine the holder may need our CPU),
 * and only then sleeps.  Taking 0 -> 1 over a sleeper is safe: the sleeper
 * woken by the unlock that made the 0 swaps 2 back in before it sleeps
 * again (Drepper's mutex 3, as Go's lock_futex). */
#define HCHAN_LOCK_SPINS  256 /* ~4 us of PAUSE at ~15 ns */
#define HCHAN_LOCK_YIELDS 8

void cpat_hchan_futex_lock_slow(struct cpat_mutex_futex *m) {
    for (int i = 0; i < HCHAN_LOCK_SPINS + HCHAN_LOCK_YIELDS; i++) {
        if (atomic_load_explicit(&m->state, memory_order_relaxed) == 0 &&
            cpat_mutex_futex_trylock(m) == 0)
            return;
        cpat_poll_wait((uint32_t)i, HCHAN_LOCK_SPINS);
    }
    /* x -> 2; having swapped 0 out we own it.  Acquire pairs with the
     * release exchange in cpat_mutex_futex_unlock, which wakes us on 2. */
    while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0)
        cpat_futex_wait(&m->state, 2, NULL); /* any return re-checks by the exchange */
}

int cpat_hchan_make(struct cpat_hchan **out, size_t cap, int kind) {
    *out = NULL;
    if (cap > CPAT_CHAN_CAP_MAX)
        return EINVAL;
    size_t bytes = (sizeof(struct cpat_hchan) + cap * sizeof(void *) + 63) / 64 * 64; /* lines */
    struct cpat_hchan *c = aligned_alloc(64, bytes);
    if (!c)
        return ENOMEM;
    memset(c, 0, bytes); /* empty queues, empty ring, not closed */
    if (kind == HCHAN_PTHREAD) {
        int e = pthread_mutex_init(&c->pm, NULL);
        if (e) {
            free(c);
            return e;
        }
    } else {
        cpat_mutex_futex_init(&c->fm);
    }
    c->kind = kind;
    c->cap = cap;
    *out = c;
    return 0;
}

void cpat_hchan_destroy(struct cpat_hchan *c) {
    if (!c)
        return;
    if (c->kind == HCHAN_PTHREAD)
        pthread_mutex_destroy(&c->pm);
    free(c);
}

/* With the lock held and the operation unable to go on: queue an entry,
 * unlock, sleep.  On a timeout the entry is taken off again (nobody won
 * it, so nothing moved). */
int cpat_hchan_block(struct cpat_hchan *c, int kind, int dir, void **v, uint64_t deadline_ns) {
    struct cpat_waiter w;
    cpat_waiter_init(&w, kind == HCHAN_PTHREAD ? CPAT_WAIT_CONDVAR : CPAT_WAIT_FUTEX);
    w.self = (struct cpat_wentry){.w = &w, .value = dir == CPAT_SEND ? *v : NULL};
    struct cpat_wqueue *q = dir == CPAT_SEND ? &c->sendq : &c->recvq;
    cpat_wqueue_push(q, &w.self);
    hchan_unlock(c, kind);
    if (cpat_waiter_wait(&w, deadline_ns) == ETIMEDOUT) {
        hchan_lock(c, kind);
        cpat_wqueue_remove(q, &w.self);
        hchan_unlock(c, kind);
        return ETIMEDOUT;
    }
    /* DONE: a receiver took our value, a sender filled w.value, or close
     * won us (err EPIPE, w.value still NULL for a receiver). */
    if (dir == CPAT_RECV)
        *v = w.value;
    return w.err;
}

int cpat_hchan_close(struct cpat_hchan *c, int kind) {
    hchan_lock(c, kind);
    if (atomic_load_explicit(&c->closed, memory_order_relaxed)) {
        hchan_unlock(c, kind);
        return EPIPE;
    }
    atomic_store_explicit(&c->closed, true, memory_order_relaxed);
    /* Win every queued waiter under the lock (a later send or recv sees
     * closed and never reaches them), chain them, complete them after. */
    struct cpat_wentry *won = NULL, *e;
    while ((e = cpat_wqueue_pop_claimed(&c->recvq)) || (e = cpat_wqueue_pop_claimed(&c->sendq))) {
        e->next = won;
        won = e;
    }
    hchan_unlock(c, kind);
    while ((e = won)) {
        won = e->next;                           /* read before DONE: then the entry may be gone */
        cpat_waiter_done(e->w, e->index, EPIPE); /* a receiver's w->value stays NULL */
    }
    return 0;
}

/* Locks each distinct channel once, in address order (Go's lockorder): two
 * selects over the same channels cannot deadlock. */
static void lock_all(struct cpat_select_case *cs, const uint8_t *lockorder, size_t m, int kind) {
    for (size_t k = 0; k < m; k++)
        if (k == 0 || cs[lockorder[k]].ch != cs[lockorder[k - 1]].ch)
            hchan_lock(cs[lockorder[k]].ch, kind);
}

static void unlock_all(struct cpat_select_case *cs, const uint8_t *lockorder, size_t m, int kind) {
    for (size_t k = m; k-- > 0;)
        if (k == 0 || cs[lockorder[k]].ch != cs[lockorder[k - 1]].ch)
            hchan_unlock(cs[lockorder[k]].ch, kind);
}

int cpat_hchan_select(struct cpat_select_case *cs, size_t n, uint64_t deadline_ns, size_t *chosen,
                      int kind) {
    if (n > CPAT_SELECT_MAX)
        return EINVAL;
    /* pollorder: the non-NULL cases in uniformly random order (inside-out
     * Fisher-Yates); lockorder: the same cases by channel address. */
    uint8_t pollorder[CPAT_SELECT_MAX], lockorder[CPAT_SELECT_MAX];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cs[i].ch)
            continue;
        size_t j = cpat_fastrand_n((uint32_t)m + 1);
        pollorder[m] = pollorder[j];
        pollorder[j] = (uint8_t)i;
        size_t k = m++;
        for (; k > 0 && (uintptr_t)cs[lockorder[k - 1]].ch > (uintptr_t)cs[i].ch; k--)
            lockorder[k] = lockorder[k - 1];
        lockorder[k] = (uint8_t)i;
    }
    if (m == 0) { /* only NULL channels: nothing can ever fire */
        if (deadline_ns == CPAT_DEFAULT)
            return EAGAIN;
        if (deadline_ns == CPAT_FOREVER)
            return EINVAL; /* Go's select {}: blocks for good */
        struct timespec ts = cpat_ns_to_timespec(deadline_ns);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        return ETIMEDOUT;
    }

    /* Pass 1: take the first ready case in poll order. */
    lock_all(cs, lockorder, m, kind);
    for (size_t k = 0; k < m; k++) {
        size_t i = pollorder[k];
        struct hchan_wake wk = {NULL, 0};
        int r = cs[i].dir == CPAT_SEND ? hchan_send_locked(cs[i].ch, cs[i].value, &wk)
                                       : hchan_recv_locked(cs[i].ch, &cs[i].value, &wk);
        if (r != EAGAIN) {
            unlock_all(cs, lockorder, m, kind);
            hchan_wake(&wk);
            *chosen = i;
            return r;
        }
    }
    if (deadline_ns == CPAT_DEFAULT) {
        unlock_all(cs, lockorder, m, kind);
        return EAGAIN;
    }

    /* Pass 2: queue one entry per case, all on one waiter, and sleep. */
    struct cpat_waiter w;
    cpat_waiter_init(&w, kind == HCHAN_PTHREAD ? CPAT_WAIT_CONDVAR : CPAT_WAIT_FUTEX);
    struct cpat_wentry e[CPAT_SELECT_MAX];
    for (size_t k = 0; k < m; k++) {
        size_t i = lockorder[k];
        struct cpat_hchan *c = cs[i].ch;
        e[k] = (struct cpat_wentry){
            .w = &w, .value = cs[i].dir == CPAT_SEND ? cs[i].value : NULL, .index = (uint32_t)i};
        cpat_wqueue_push(cs[i].dir == CPAT_SEND ? &c->sendq : &c->recvq, &e[k]);
    }
    unlock_all(cs, lockorder, m, kind);
    int r = cpat_waiter_wait(&w, deadline_ns);

    /* Pass 3: take our entries off every channel, the winner's excepted
     * (its waker unlinked it); then our stack frame may go. */
    lock_all(cs, lockorder, m, kind);
    for (size_t k = 0; k < m; k++) {
        struct cpat_hchan *c = cs[lockorder[k]].ch;
        cpat_wqueue_remove(cs[lockorder[k]].dir == CPAT_SEND ? &c->sendq : &c->recvq, &e[k]);
    }
    unlock_all(cs, lockorder, m, kind);
    if (r == ETIMEDOUT)
        return ETIMEDOUT;
    *chosen = w.fired;
    if (cs[w.fired].dir == CPAT_RECV)
        cs[w.fired].value = w.value;
    return w.err;
}
