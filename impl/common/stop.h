/* A stop flag: set once, by one thread, to make a wait_until()/lock_until()
 * give up (cpat_ctx_wg_wait and cpat_ctx_mutex_lock set it when their context
 * ends).  The waits read it before they sleep and after every wake, so the
 * setter kicks them after setting.
 *
 * set:    0, then 1 for good.  The store (seq_cst, so also a release)
 *         pairs with the acquire of cpat_stop_is_set: what the setter wrote
 *         before (the context's Err) is visible to the waiter that sees it.
 * asleep: 1 while the one waiter that owns this flag is on its way into, or
 *         inside, a sleep whose word a kick cannot change (the futex
 *         mutex's lock word, the semaphore's count).  A kick there repeats
 *         its wake-up until the waiter clears it
 *         (cpat_stop_kick_until_awake).
 */
#ifndef CPAT_COMMON_STOP_H
#define CPAT_COMMON_STOP_H

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"

struct cpat_stop {
    _Atomic int set;
    _Atomic int asleep;
};

static inline void cpat_stop_init(struct cpat_stop *s) {
    atomic_init(&s->set, 0);
    atomic_init(&s->asleep, 0);
}

/* seq_cst: with cpat_stop_sleeping's store and load, a Dekker pair (see
 * cpat_stop_kick_until_awake); also the release cpat_stop_is_set acquires. */
static inline void cpat_stop_set(struct cpat_stop *s) {
    atomic_store_explicit(&s->set, 1, memory_order_seq_cst);
}

static inline bool cpat_stop_is_set(const struct cpat_stop *s) {
    return atomic_load_explicit(&s->set, memory_order_acquire);
}

/* The waiter, before a sleep a kick cannot interrupt by changing its word:
 * false (and not asleep) if the flag is set already.  Else it must call
 * cpat_stop_awake once the sleep returns. */
static inline bool cpat_stop_sleeping(struct cpat_stop *s) {
    atomic_store_explicit(&s->asleep, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&s->set, memory_order_seq_cst)) {
        atomic_store_explicit(&s->asleep, 0, memory_order_relaxed);
        return false;
    }
    return true;
}

/* The same with a deadline too (deadline_ns UINT64_MAX: none): 0 if the
 * waiter may sleep (and is asleep: cpat_stop_awake after), else why not --
 * ETIMEDOUT, the deadline has passed; ECANCELED, the flag is set. */
static inline int cpat_stop_before_sleep(struct cpat_stop *s, uint64_t deadline_ns) {
    if (cpat_deadline_passed(deadline_ns))
        return ETIMEDOUT;
    return cpat_stop_sleeping(s) ? 0 : ECANCELED;
}

static inline void cpat_stop_awake(struct cpat_stop *s) {
    atomic_store_explicit(&s->asleep, 0, memory_order_release);
}

/* The kicker, after cpat_stop_set: wake(arg) until the waiter is not
 * asleep.  Either the waiter's load in cpat_stop_sleeping sees the flag
 * (and it does not sleep), or our load here sees it asleep -- maybe still
 * on its way into the kernel, where one wake-up can miss it; so we wake
 * again until it says it is back.  That takes as long as the waiter takes
 * to be scheduled, hence the yield. */
static inline void cpat_stop_kick_until_awake(struct cpat_stop *s, void (*wake)(void *),
                                              void *arg) {
    while (atomic_load_explicit(&s->asleep, memory_order_seq_cst)) {
        wake(arg);
        if (atomic_load_explicit(&s->asleep, memory_order_acquire))
            sched_yield();
    }
}

#endif
