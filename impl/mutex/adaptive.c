/* The adaptive mutex's slow paths; the state word and the policy are
 * described in adaptive.h.  The protocol is Go's (sync/mutex.go,
 * lockSlow/unlockSlow); what differs is when to stop spinning: Go asks its
 * scheduler (another P running, few spins), a C thread asks the clock and
 * the kernel (common/park.h). */
#include "mutex/adaptive.h"
#include "common/clock.h"
#include "common/park.h"
#include "common/spin.h"
#include "cpat/error.h"
#include "mutex/ops.h"

#define LOCKED   CPAT_MUTEX_ADAPTIVE_LOCKED
#define WOKEN    CPAT_MUTEX_ADAPTIVE_WOKEN
#define STARVING CPAT_MUTEX_ADAPTIVE_STARVING
#define WAITER   CPAT_MUTEX_ADAPTIVE_WAITER

/* The clock is read once every SPIN_CHECK polls: ~16 PAUSEs, 0.2-1 us. */
#define SPIN_CHECK 16

/* How long a wait may last before it asks for hand-off: Go's 1 ms, or
 * longer where parks are slow.  Once in hand-off mode every waiter waits
 * for those queued before it, a park each; the mode must end once the queue
 * has turned over, and it ends when a waiter got the lock within this time
 * (see the hand-off below).  So it must exceed (waiters x park cost), with
 * a margin: otherwise an oversubscribed machine, where a park includes a
 * wait in the run queue, never leaves hand-off mode and every lock costs
 * a wake-up. */
static uint64_t starve_ns(uint32_t state) {
    uint64_t turnover = 4 * (uint64_t)(state / WAITER + 1) * cpat_park_cost_ns();
    return turnover > CPAT_MUTEX_ADAPTIVE_STARVE_NS ? turnover : CPAT_MUTEX_ADAPTIVE_STARVE_NS;
}

void cpat_mutex_adaptive_lock_slow(struct cpat_mutex_adaptive *m) {
    struct cpat_spin sp = {0};
    uint64_t wait_start = 0; /* when this call first parked */
    bool starving = false;   /* it has waited longer than STARVE_NS */
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
        if (awoke)
            new &= ~WOKEN;
        /* Acquire pairs with the release of the unlock that freed it, when
         * this CAS takes a free lock; as a queueing CAS it only counts us. */
        if (!atomic_compare_exchange_weak_explicit(&m->state, &old, new, memory_order_acquire,
                                                   memory_order_relaxed))
            continue; /* old is the fresh value */
        if (!(old & (LOCKED | STARVING)))
            return; /* it was free and the CAS took it */

        /* Parked.  The token's acquire pairs with the release of the
         * unlock's post: in hand-off mode that is how the critical section
         * before it reaches us. */
        uint64_t now = cpat_now_ns();
        if (!wait_start)
            wait_start = now;
        bool slept = cpat_sema_wait_polls(&m->sema, 0);
        now = cpat_now_ns();
        if (slept)
            cpat_park_observe(now - atomic_load_explicit(&m->posted_ns, memory_order_relaxed));
        old = atomic_load_explicit(&m->state, memory_order_relaxed);
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
            return;
        }
        /* Woken to compete: unlock set WOKEN for us.  Spin afresh. */
        awoke = true;
        sp = (struct cpat_spin){0};
    }
}

/* Wakes one waiter: post a token (its release pairs with the waiter's
 * acquire in the semaphore), stamping the time first so that the waiter
 * can measure what its park cost. */
static void post(struct cpat_mutex_adaptive *m) {
    atomic_store_explicit(&m->posted_ns, cpat_now_ns(), memory_order_relaxed);
    cpat_sema_post(&m->sema, 1);
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
        post(m); /* hand-off: the next parked waiter owns it now */
        return 0;
    }
    /* Wake one waiter, unless none is recorded or someone is already on the
     * way (LOCKED: an arrival took it; WOKEN: a spinner or a woken waiter;
     * STARVING: a waiter switched modes and the holder will hand off).
     * Relaxed: the post below is the release. */
    while (s >= WAITER && !(s & (LOCKED | WOKEN | STARVING)))
        if (atomic_compare_exchange_weak_explicit(&m->state, &s, (s - WAITER) | WOKEN,
                                                  memory_order_relaxed, memory_order_relaxed)) {
            post(m);
            break;
        }
    return 0;
}

CPAT_MUTEX_OPS(adaptive, "variant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
               "Go's sync.Mutex protocol on a futex: spins for the measured park cost, then "
               "parks; hand-off after 1 ms");
