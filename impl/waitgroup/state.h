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
 * done() (add(-1)) is one fetch_sub, as in Go, not a CAS loop: under
 * contention a CAS loop pays a reload per lost race.  If it took the
 * counter below zero -- only possible from a true zero, so only in misuse
 * -- it adds the 1 back and returns EINVAL; meanwhile the counter reads -1,
 * which the CAS path and join() treat as "busy": they reload until the
 * undo lands, so nobody acts on the transient value.  Other negative
 * deltas take the CAS path, which checks before it writes.
 */
#ifndef CPAT_WAITGROUP_STATE_H
#define CPAT_WAITGROUP_STATE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/spin.h"

/* The counter after adding delta, or EINVAL: below zero, above INT32_MAX,
 * or a reuse (a positive delta on a zero counter with waiters left). */
static inline int cpat_waitgroup_rule(int32_t counter, uint32_t waiters, int delta, int32_t *next) {
    int64_t n = (int64_t)counter + delta;
    if (n < 0 || n > INT32_MAX)
        return EINVAL;
    if (delta > 0 && counter == 0 && waiters > 0)
        return EINVAL;
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
    /* No load first: guess the state is 0 (a round starting).  A wrong guess
     * costs one failed CAS, which hands back the real value with the line
     * already held for writing; a load would fetch the line shared, then
     * the CAS fetch it again to write (two transfers when contended). */
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
