/* The adaptive mutex's slow paths; the state word and the policy are
 * described in adaptive.h.  The protocol is Go's (sync/mutex.go,
 * lockSlow/unlockSlow); what differs is when to stop spinning: Go asks its
 * scheduler (another P running, few spins), a C thread asks the clock and
 * the kernel (common/park.h). */
#include "mutex/adaptive.h"
#include "common/clock.h"
#include "common/futex.h"
#include "common/park.h"
#include "common/spin.h"
#include "cpat/error.h"
#include "mutex/ops.h"

#define LOCKED   CPAT_MUTEX_ADAPTIVE_LOCKED
#define WOKEN    CPAT_MUTEX_ADAPTIVE_WOKEN
#define STARVING CPAT_MUTEX_ADAPTIVE_STARVING
#define WAITER   CPAT_MUTEX_ADAPTIVE_WAITER

/* How long a wait may last before it asks for hand-off: Go's 1 ms, or
 * longer where parks are slow.  Once in hand-off mode every waiter waits
 * for those queued before it, a park each; the mode must end once the queue
 * has turned over, and it ends when a waiter got the lock within this time
 * (see the hand-off below).  So it must exceed (waiters x park cost), with
 * a margin: otherwise an oversubscribed machine, where a park includes a
 * wait in the run queue, never leaves hand-off mode and every lock costs
 * a wake-up.  Capped, so that a wait stays bounded by a figure a user can
 * rely on. */
static uint64_t starve_ns(uint32_t state) {
    uint64_t turnover = 4 * (uint64_t)(state / WAITER + 1) * cpat_park_cost_ns();
    if (turnover < CPAT_MUTEX_ADAPTIVE_STARVE_NS)
        return CPAT_MUTEX_ADAPTIVE_STARVE_NS;
    return turnover < CPAT_MUTEX_ADAPTIVE_STARVE_MAX_NS ? turnover
                                                        : CPAT_MUTEX_ADAPTIVE_STARVE_MAX_NS;
}

/* Ticket t's futex bit: a wake names the front waiter by it.  Two waiters
 * 32 tickets apart share a bit, so a wake goes to every sleeper with that
 * bit (waking one could pick the wrong one and leave the front asleep);
 * with fewer than 33 waiters it reaches the front alone. */
static uint32_t bit(uint32_t ticket) {
    return 1u << (ticket % 32);
}

/* Sleeps until ticket is the front waiter and a wake-up is owed, takes it.
 * True if it slept.
 *
 * The futex word is posts, which only grows: a waiter that read posts = p
 * and sleeps while it still reads p cannot miss a post made after its read.
 * (A word that takers decrement would not do: a waiter could read 1 for
 * the front's token, the front take it and the next unlock post again, and
 * the waiter sleep on the 1 it first read with its own token there.)
 *
 * The acquire load of posts pairs with the release in post(): a waiter that
 * sees a post sees what came before it, the advance of head to the waiter
 * it is for among them (advance, then unlock, then the next lock's acquire,
 * then its post). */
static bool await_turn(struct cpat_mutex_adaptive *m, uint32_t ticket) {
    bool slept = false;
    for (;;) {
        uint32_t p = atomic_load_explicit(&m->posts, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&m->taken, memory_order_relaxed);
        /* owed = p - t, what is owed to the front waiter: 0 or 1.  The two
         * loads are not one snapshot.  taken, read second, may already count
         * a post made after our read of posts (owed < 0: look again); and a
         * post counted in both may have been taken by the previous front,
         * which then got the lock and moved head on to us -- then our CAS
         * fails (its CAS on taken came before its advance, which we saw)
         * and we look again.  Relaxed CAS: the load of posts was the
         * acquire. */
        int32_t owed = (int32_t)(p - t);
        if (owed > 1)
            cpat_die("adaptive mutex: two wake-ups owed at once", EINVAL);
        if (owed == 1 && atomic_load_explicit(&m->head, memory_order_relaxed) == ticket) {
            if (atomic_compare_exchange_strong_explicit(&m->taken, &t, t + 1, memory_order_relaxed,
                                                        memory_order_relaxed))
                return slept;
            continue;
        }
        if (owed < 0)
            continue;
        cpat_futex_wait_bits(&m->posts, p, NULL, bit(ticket));
        slept = true;
    }
}

/* The front waiter got the lock: the next ticket is front.  Release: the
 * next poster (this thread at unlock, or a later holder, ordered after it
 * by the lock) reads head to pick whom to wake. */
static void advance(struct cpat_mutex_adaptive *m) {
    atomic_fetch_add_explicit(&m->head, 1, memory_order_release);
}

void cpat_mutex_adaptive_lock_slow(struct cpat_mutex_adaptive *m) {
    struct cpat_spin sp = {0};
    uint64_t wait_start = 0; /* when this call first parked */
    uint32_t ticket = 0;     /* ours once wait_start is set */
    bool starving = false;   /* it has waited longer than starve_ns */
    bool awoke = false;      /* WOKEN is set on our behalf: clear it when we CAS */
    uint32_t old = atomic_load_explicit(&m->state, memory_order_relaxed);
    for (;;) {
        if ((old & (LOCKED | STARVING)) == LOCKED && cpat_spin_on(&sp)) {
            /* Tell unlock a running thread is coming, so it wakes nobody.
             * Relaxed: the bit publishes nothing. */
            if (!awoke && !(old & WOKEN) && old >= WAITER &&
                atomic_compare_exchange_weak_explicit(&m->state, &old, old | WOKEN,
                                                      memory_order_relaxed, memory_order_relaxed))
                awoke = true;
            for (int i = 0; i < CPAT_SPIN_PAUSES; i++)
                cpat_cpu_relax();
            old = atomic_load_explicit(&m->state, memory_order_relaxed);
            continue;
        }
        uint32_t new = old;
        if (!(old & STARVING))
            new |= LOCKED; /* take it if free; in hand-off mode it is not ours */
        if (old & (LOCKED | STARVING))
            new += WAITER; /* otherwise queue */
        if (starving && (old & LOCKED))
            new |= STARVING;
        if (awoke) {
            /* WOKEN is ours: nobody else clears it (Go checks the same). */
            if (!(old & WOKEN))
                cpat_die("adaptive mutex: WOKEN lost while a woken waiter competed", EINVAL);
            new &= ~WOKEN;
        }
        /* Acquire pairs with the release of the unlock that freed it, when
         * this CAS takes a free lock; as a queueing CAS it only counts us. */
        if (!atomic_compare_exchange_weak_explicit(&m->state, &old, new, memory_order_acquire,
                                                   memory_order_relaxed))
            continue; /* old is the fresh value */
        if (!(old & (LOCKED | STARVING))) {
            if (wait_start)
                advance(m); /* we were the front waiter */
            return;         /* it was free and the CAS took it */
        }

        /* Parked: a new waiter takes a ticket; a woken one that lost keeps
         * its place at the front. */
        uint64_t now = cpat_now_ns();
        if (!wait_start) {
            wait_start = now;
            ticket = atomic_fetch_add_explicit(&m->tail, 1, memory_order_relaxed);
        }
        bool slept = await_turn(m, ticket);
        now = cpat_now_ns();
        if (slept)
            cpat_park_observe(now - atomic_load_explicit(&m->posted_ns, memory_order_relaxed));
        old = atomic_load_explicit(&m->state, memory_order_relaxed);
        /* The post we took set WOKEN for us, or was a hand-off. */
        if (!(old & (WOKEN | STARVING)))
            cpat_die("adaptive mutex: woken with neither WOKEN nor STARVING set", EINVAL);
        starving = starving || now - wait_start > starve_ns(old);
        if (old & STARVING) {
            /* Handed to us: unlock left LOCKED clear and the waiter count
             * with us in it; nobody else can take it.  Take it, leave the
             * queue, and end hand-off mode if we are the last waiter or did
             * not wait long (Go's rule: hand-off costs a wake-up per lock). */
            if ((old & (LOCKED | WOKEN)) || old < WAITER)
                cpat_die("adaptive mutex: inconsistent state in hand-off", EINVAL);
            uint32_t delta = LOCKED - WAITER;
            if (!starving || old / WAITER == 1)
                delta -= STARVING;
            atomic_fetch_add_explicit(&m->state, delta, memory_order_relaxed);
            advance(m);
            return;
        }
        /* Woken to compete: unlock set WOKEN for us.  Spin afresh. */
        awoke = true;
        sp = (struct cpat_spin){0};
    }
}

/* Wakes the front waiter: one post (its release pairs with the waiter's
 * acquire in await_turn), then a wake by the front's ticket bit.  The time
 * is stamped first so that the waiter can measure what its park cost. */
void cpat_mutex_adaptive_post(struct cpat_mutex_adaptive *m) {
    atomic_store_explicit(&m->posted_ns, cpat_now_ns(), memory_order_relaxed);
    atomic_fetch_add_explicit(&m->posts, 1, memory_order_release);
    /* Acquire pairs with advance(): the front we wake is the current one. */
    uint32_t front = atomic_load_explicit(&m->head, memory_order_acquire);
    cpat_futex_wake_bits(&m->posts, INT_MAX, bit(front));
}

int cpat_mutex_adaptive_unlock_slow(struct cpat_mutex_adaptive *m) {
    /* Clear LOCKED, keeping the other bits.  Release pairs with the next
     * locker's acquire CAS.  A fetch-and leaves an unheld lock as it was,
     * so a bad unlock is detected without harm. */
    uint32_t old = atomic_fetch_and_explicit(&m->state, ~LOCKED, memory_order_release);
    if (!(old & LOCKED))
        return EINVAL;
    uint32_t s = old & ~LOCKED;
    if (s & STARVING) {
        cpat_mutex_adaptive_post(m); /* hand-off: the front waiter owns it now */
        return 0;
    }
    /* Wake one waiter, unless none is recorded or someone is already on the
     * way (LOCKED: an arrival took it; WOKEN: a spinner or a woken waiter;
     * STARVING: a waiter switched modes and the holder will hand off).
     * Relaxed: the post below is the release. */
    while (s >= WAITER && !(s & (LOCKED | WOKEN | STARVING)))
        if (atomic_compare_exchange_weak_explicit(&m->state, &s, (s - WAITER) | WOKEN,
                                                  memory_order_relaxed, memory_order_relaxed)) {
            cpat_mutex_adaptive_post(m);
            break;
        }
    return 0;
}

CPAT_MUTEX_OPS(adaptive, "variant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
               "Go's sync.Mutex protocol on futex words: spins for the measured park cost, then "
               "parks in FIFO; hand-off after >= 1 ms of waiting");
