/* The waiter's slow path: yield, then sleep the way w->kind says (see
 * waiter.h for the states). */
#include "common/waiter.h"
#include "common/park.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cpat_waiter_poll_on(uint64_t *t0) {
    uint64_t now = cpat_now_ns();
    if (!*t0)
        *t0 = now; /* the first CPAT_WAITER_POLLS_PER_YIELD polls: no question */
    else if (now - *t0 >= CPAT_WAITER_POLL_NS ||
             (now - *t0 >= CPAT_WAITER_POLL_NS / 4 && !cpat_spare_pu(now)))
        return false;
    sched_yield();
    return true;
}

/* Sets PARKED on a WAITING or CLAIMED state s; false once DONE (or
 * CANCELLED, which only we store) is there. */
static bool set_parked(struct cpat_waiter *w, uint32_t *s) {
    while (CPAT_WAITER_STATE(*s) <= CPAT_WAITER_CLAIMED) {
        if (*s & CPAT_WAITER_PARKED)
            return true;
        if (atomic_compare_exchange_weak_explicit(&w->state, s, *s | CPAT_WAITER_PARKED,
                                                  memory_order_acquire, memory_order_acquire)) {
            *s |= CPAT_WAITER_PARKED;
            return true;
        }
    }
    return false; /* the failed CAS's acquire load saw DONE */
}

/* At or past the deadline: withdraw, or learn that a waker won and wait for
 * its DONE without a deadline (it is inside a short critical section). */
static bool timed_out(struct cpat_waiter *w, uint64_t deadline_ns) {
    return cpat_deadline_passed(deadline_ns) && cpat_waiter_cancel(w);
}

static int sleep_futex(struct cpat_waiter *w, uint64_t deadline_ns) {
    struct timespec ts = cpat_ns_to_timespec(deadline_ns);
    for (;;) {
        uint32_t s = atomic_load_explicit(&w->state, memory_order_acquire);
        if (s == CPAT_WAITER_DONE) /* acquire: pairs with cpat_waiter_done's release */
            return 0;
        if (timed_out(w, deadline_ns))
            return ETIMEDOUT;
        if (!set_parked(w, &s))
            continue;
        /* Re-checked by the kernel against the word, and by us on every
         * return: a wake, a spurious wake, EINTR, or the word changed. */
        bool claimed = CPAT_WAITER_STATE(s) == CPAT_WAITER_CLAIMED;
        cpat_futex_wait(&w->state, s, deadline_ns == UINT64_MAX || claimed ? NULL : &ts);
    }
}

static int sleep_condvar(struct cpat_waiter *w, uint64_t deadline_ns) {
    struct timespec ts = cpat_ns_to_timespec(deadline_ns);
    int r = 0;
    pthread_mutex_lock(&w->m);
    uint32_t s = atomic_load_explicit(&w->state, memory_order_acquire);
    if (set_parked(w, &s)) {
        /* DONE is stored under w->m once PARKED is set: no missed signal. */
        while ((s = atomic_load_explicit(&w->state, memory_order_acquire)) != CPAT_WAITER_DONE) {
            if (deadline_ns == UINT64_MAX || CPAT_WAITER_STATE(s) == CPAT_WAITER_CLAIMED) {
                pthread_cond_wait(&w->c, &w->m);
            } else if (pthread_cond_clockwait(&w->c, &w->m, CLOCK_MONOTONIC, &ts) == ETIMEDOUT &&
                       cpat_waiter_cancel(w)) {
                r = ETIMEDOUT;
                break;
            }
        }
    }
    pthread_mutex_unlock(&w->m);
    return r;
}

int cpat_waiter_sleep(struct cpat_waiter *w, uint64_t deadline_ns) {
    /* A few yields first: on an oversubscribed machine the partner may
     * just need the CPU, and a yield is far cheaper than a sleep. */
    for (unsigned i = 0; i < CPAT_WAITER_YIELDS || w->kind == CPAT_WAIT_SPIN; i++) {
        if (atomic_load_explicit(&w->state, memory_order_acquire) == CPAT_WAITER_DONE)
            return 0;
        if (timed_out(w, deadline_ns))
            return ETIMEDOUT;
        sched_yield();
    }
    return w->kind == CPAT_WAIT_FUTEX ? sleep_futex(w, deadline_ns) : sleep_condvar(w, deadline_ns);
}
