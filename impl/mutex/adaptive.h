/* adaptive mutex: Go's sync.Mutex protocol on futex words, with a
 * spin budget measured on this machine.
 *
 * m->state, one word:
 *   bit 0  LOCKED    held
 *   bit 1  WOKEN     a spinner, or a waiter just woken, is about to compete:
 *                    unlock need not wake another
 *   bit 2  STARVING  hand-off mode: unlock passes the lock to a parked
 *                    waiter and arrivals queue instead of taking it
 *   bits 3+          waiters parked or about to park in the queue below
 *
 * Parked waiters form a FIFO of tickets, as Go's semaphore queue does:
 *   m->tail    the next ticket; a waiter takes one when it first parks
 *   m->head    the ticket of the front waiter, the only one that may be
 *              woken; it moves on when the front waiter gets the lock
 *   m->posts   wake-ups unlock has posted, ever (the futex word: it only
 *              grows, so a sleeper cannot mistake a new post for an old)
 *   m->taken   wake-ups the front waiters have taken; posts - taken is
 *              what is owed to the front waiter (0 or 1).  Unlock posts
 *              and wakes the front by its ticket's futex bit; a post is
 *              never lost, whether the front waiter sleeps yet or not
 * A woken waiter that loses the lock to a running thread stays at the front
 * (Go re-queues it at the head, LIFO), so the next wake-up is its again.
 *
 * Uncontended: lock is one CAS 0 -> LOCKED, unlock one CAS LOCKED -> 0, no
 * syscall.  Policy when the CAS fails (adaptive.c):
 *
 * - Spin while spinning can pay off: the lock is held and not in hand-off
 *   mode, for at most the measured cost of one park (common/park.h, the
 *   average post -> wake-up time of this process's parks; 2-competitive),
 *   and only a quarter of that when the machine has no spare PU (the holder
 *   may be waiting for ours).  A spinner sets WOKEN so that the unlock it
 *   is waiting for does not also wake a sleeper.
 * - Then park: count itself a waiter, take a ticket, sleep until it is the
 *   front and is owed a wake-up.  Unlock posts one only when there is a waiter
 *   and nobody WOKEN, LOCKED or in hand-off: it wakes recorded waiters
 *   only, one at a time.
 * - A woken waiter competes with arrivals (barging, as in Go: the lock goes
 *   to a running thread rather than wait ~a park for a sleeping one).  One
 *   that has waited more than starve_ns (adaptive.c: Go's 1 ms, more when
 *   parks are slow, at most 100 ms) since it first parked sets STARVING;
 *   then each unlock hands the lock straight to the front waiter, which
 *   bounds every wait (M4): a waiter is front after those ahead of it got
 *   the lock, and a front that starves gets it at the next unlock but one.
 *   Hand-off ends when the waiter that gets the lock is the last one or
 *   has not waited that long.
 * A bad unlock is detected when the lock is not held at all; an unlock by
 * a thread that does not hold a held lock is not (as in Go).
 */
#ifndef CPAT_MUTEX_ADAPTIVE_H
#define CPAT_MUTEX_ADAPTIVE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#define CPAT_MUTEX_ADAPTIVE_LOCKED        1u
#define CPAT_MUTEX_ADAPTIVE_WOKEN         2u
#define CPAT_MUTEX_ADAPTIVE_STARVING      4u
#define CPAT_MUTEX_ADAPTIVE_WAITER        8u /* one waiter in the count */
/* Go's starvationThresholdNs: long enough that hand-off (a wake-up per
 * lock, ~15 us here) is rare, short enough to bound a wait. */
#define CPAT_MUTEX_ADAPTIVE_STARVE_NS     1000000u
#define CPAT_MUTEX_ADAPTIVE_STARVE_MAX_NS 100000000u

struct cpat_mutex_adaptive {
    _Atomic uint32_t state;
    _Atomic uint32_t posts, taken, head, tail; /* the waiters' queue (above) */
    _Atomic uint64_t posted_ns;                /* when unlock last posted: the park cost's start */
};

static inline int cpat_mutex_adaptive_init(struct cpat_mutex_adaptive *m) {
    atomic_init(&m->state, 0);
    atomic_init(&m->posts, 0);
    atomic_init(&m->taken, 0);
    atomic_init(&m->head, 0);
    atomic_init(&m->tail, 0);
    atomic_init(&m->posted_ns, 0);
    return 0;
}

static inline void cpat_mutex_adaptive_destroy(struct cpat_mutex_adaptive *m) {
    (void)m;
}

static inline int cpat_mutex_adaptive_trylock(struct cpat_mutex_adaptive *m) {
    uint32_t s = atomic_load_explicit(&m->state, memory_order_relaxed);
    /* s -> s|LOCKED while neither held nor handed off; a CAS that fails
     * because a waiter count changed tries again.  Acquire pairs with the
     * release in unlock. */
    while (!(s & (CPAT_MUTEX_ADAPTIVE_LOCKED | CPAT_MUTEX_ADAPTIVE_STARVING)))
        if (atomic_compare_exchange_weak_explicit(&m->state, &s, s | CPAT_MUTEX_ADAPTIVE_LOCKED,
                                                  memory_order_acquire, memory_order_relaxed))
            return 0;
    return EAGAIN;
}

void cpat_mutex_adaptive_lock_slow(struct cpat_mutex_adaptive *m);
int cpat_mutex_adaptive_unlock_slow(struct cpat_mutex_adaptive *m);
/* Unlock's wake-up of the front waiter (one post, one targeted wake). */
void cpat_mutex_adaptive_post(struct cpat_mutex_adaptive *m);

static inline void cpat_mutex_adaptive_lock(struct cpat_mutex_adaptive *m) {
    uint32_t unlocked = 0;
    /* 0 -> LOCKED.  Acquire pairs with the release in unlock. */
    if (!atomic_compare_exchange_strong_explicit(&m->state, &unlocked, CPAT_MUTEX_ADAPTIVE_LOCKED,
                                                 memory_order_acquire, memory_order_relaxed))
        cpat_mutex_adaptive_lock_slow(m);
}

static inline int cpat_mutex_adaptive_unlock(struct cpat_mutex_adaptive *m) {
    uint32_t locked = CPAT_MUTEX_ADAPTIVE_LOCKED;
    /* LOCKED -> 0 when nobody else is about.  Release pairs with the next
     * locker's acquire CAS. */
    if (atomic_compare_exchange_strong_explicit(&m->state, &locked, 0, memory_order_release,
                                                memory_order_relaxed))
        return 0;
    return cpat_mutex_adaptive_unlock_slow(m);
}

#endif
