/* What the waitgroup variants share: the counter rules, and the packed
 * state word of the atomic and futex variants.
 *
 * state = counter << 32 | waiters
 *   counter  0..INT32_MAX, what add/done change
 *   waiters  threads inside wait() that found the counter above zero and
 *            have not returned yet; each counts itself in, and out again
 *            once it has seen the zero that released it
 *
 * Because add() refuses to raise a zero counter while waiters > 0 (reuse),
 * the zero stays put until every waiter it released has seen it.
 *
 * add(+n) and done() (add(-1)) are each one fetch_add, as in Go, not a CAS
 * loop: under contention a CAS loop pays a reload per lost race.  So each
 * has changed the word before it can check the rules, and each puts right
 * what it finds wrong:
 *  - done() that took the counter below zero -- only possible from a true
 *    zero, so only in misuse -- adds the 1 back and returns EINVAL;
 *    meanwhile the counter reads -1, which the CAS path and join() treat
 *    as "busy": they reload until the undo lands.
 *  - add(+n) that restarted a zero counter with waiters left (reuse), or
 *    took it past INT32_MAX, has already shown waiters and other callers a
 *    counter that never was; there is no undoing that, so it aborts with a
 *    message (cpat_misuse), as Go panics.
 * Other negative deltas, and add(0), take the CAS path, which checks
 * before it writes.  A misused done() racing with an add(+n) can make the
 * word read 0 for a moment (-1 + 1), so a wait() running at that moment may
 * return early: that wait() was racing with a misuse either way.
 */
#ifndef CPAT_WAITGROUP_STATE_H
#define CPAT_WAITGROUP_STATE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/spin.h"
#include "cpat/error.h"

/* Aborts if adding delta to counter is a misuse that add() cannot take
 * back: above INT32_MAX, or a reuse (a positive delta on a zero counter
 * with waiters left). */
static inline void cpat_waitgroup_check_raise(int32_t counter, uint32_t waiters, int delta) {
    if ((int64_t)counter + delta > INT32_MAX)
        cpat_misuse("cpat_waitgroup_add", "the counter would pass INT32_MAX");
    if (delta > 0 && counter == 0 && waiters > 0)
        cpat_misuse("cpat_waitgroup_add", "the group was reused: add() restarted a zero counter "
                                          "before every wait() that zero released had returned");
}

/* The counter after adding delta, or EINVAL if it would go below zero
 * (the other misuses abort, see above). */
static inline int cpat_waitgroup_rule(int32_t counter, uint32_t waiters, int delta, int32_t *next) {
    int64_t n = (int64_t)counter + delta;
    if (n < 0)
        return EINVAL;
    cpat_waitgroup_check_raise(counter, waiters, delta);
    *next = (int32_t)n;
    return 0;
}

static inline int32_t cpat_waitgroup_counter(uint64_t s) {
    return (int32_t)(s >> 32);
}

static inline uint32_t cpat_waitgroup_waiters(uint64_t s) {
    return (uint32_t)s;
}

/* add() on a packed state: 0 and the new state in *after, or EINVAL with
 * the state unchanged. */
static inline int cpat_waitgroup_state_add(_Atomic uint64_t *state, int delta, uint64_t *after) {
    if (delta > 0) {
        const uint64_t d = (uint64_t)delta << 32;
        /* acq_rel, as the CAS below.  Counter plus delta stays below 2^32,
         * so nothing carries out of the word. */
        uint64_t s = atomic_fetch_add_explicit(state, d, memory_order_acq_rel);
        /* A negative counter is a misused done() undoing itself: our add
         * stands, and the sum comes right when the undo lands. */
        if (cpat_waitgroup_counter(s) >= 0)
            cpat_waitgroup_check_raise(cpat_waitgroup_counter(s), cpat_waitgroup_waiters(s), delta);
        *after = s + d;
        return 0;
    }
    if (delta == -1) {
        const uint64_t d = 1ull << 32;
        /* acq_rel, as the CAS below: release publishes the caller's work,
         * acquire hands every earlier done()'s on to the waiters woken by
         * the done() that reaches zero. */
        uint64_t s = atomic_fetch_sub_explicit(state, d, memory_order_acq_rel);
        if (cpat_waitgroup_counter(s) >= 1) {
            *after = s - d;
            return 0;
        }
        /* 0 -> -1: undo.  Relaxed: the transient published nothing. */
        atomic_fetch_add_explicit(state, d, memory_order_relaxed);
        return EINVAL;
    }
    /* add(0) or add(-n), n > 1.  No load first: guess the state is 0 (an
     * idle group).  A wrong guess costs one failed CAS, which hands back
     * the real value with the line already held for writing; a load would
     * fetch the line shared, then the CAS fetch it again to write (two
     * transfers when contended). */
    for (uint64_t s = 0;;) {
        if (cpat_waitgroup_counter(s) < 0) { /* a misused done() is undoing itself */
            cpat_cpu_relax();
            s = atomic_load_explicit(state, memory_order_relaxed);
            continue;
        }
        int32_t counter;
        int e = cpat_waitgroup_rule(cpat_waitgroup_counter(s), cpat_waitgroup_waiters(s), delta,
                                    &counter);
        if (e)
            return e;
        uint64_t next = (uint64_t)(uint32_t)counter << 32 | cpat_waitgroup_waiters(s);
        /* acq_rel: release publishes the caller's work to the waiters; the
         * acquire lets the done() that reaches zero pass every earlier
         * done()'s work on to the waiters it wakes (futex variant).  A
         * failed CAS reloads s. */
        if (atomic_compare_exchange_weak_explicit(state, &s, next, memory_order_acq_rel,
                                                  memory_order_relaxed)) {
            *after = next;
            return 0;
        }
    }
}

/* Enters wait(): false if the counter is already zero (nothing to wait
 * for), true once counted in as a waiter of a non-zero counter. */
static inline bool cpat_waitgroup_state_join(_Atomic uint64_t *state) {
    /* Acquire: a zero read here was made by the last done(), whose release
     * (and every earlier done()'s, through the CAS chain) we pair with. */
    for (uint64_t s = atomic_load_explicit(state, memory_order_acquire);;) {
        if (cpat_waitgroup_counter(s) == 0)
            return false;
        if (cpat_waitgroup_counter(s) < 0) { /* a misused done() is undoing itself */
            cpat_cpu_relax();
            s = atomic_load_explicit(state, memory_order_acquire);
            continue;
        }
        /* waiters + 1.  Acquire on failure, for the zero we may reload
         * (C11 wants the success order at least as strong; joining itself
         * publishes nothing). */
        if (atomic_compare_exchange_weak_explicit(state, &s, s + 1, memory_order_acquire,
                                                  memory_order_acquire))
            return true;
    }
}

/* Leaves wait() after seeing the zero.  Relaxed: it publishes nothing; an
 * add() that must see it reads the latest value in its CAS anyway. */
static inline void cpat_waitgroup_state_leave(_Atomic uint64_t *state) {
    atomic_fetch_sub_explicit(state, 1, memory_order_relaxed);
}

#endif
