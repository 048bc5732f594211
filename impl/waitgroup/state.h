/* What the waitgroup variants share: the counter rules, and the packed
 * state word of the atomic and futex variants.
 *
 * state = counter << 32 | waiters
 *   counter  0..INT32_MAX, what add/done change
 *   waiters  threads inside wait() that found the counter above zero and
 *            have not returned yet; each counts itself in, and out again
 *            once it has seen the zero that released it
 *
 * add() (done() is add(-1)) is one fetch_add, as in Go: under contention a
 * CAS loop pays a reload per lost race.  It has therefore changed the word
 * before it can check the rules, and other threads may already have acted
 * on the new value, so a misuse cannot be taken back: it aborts with a
 * message naming the call (cpat_misuse), as Go panics.  Misuse is
 *  - a counter taken below zero (a done() without its add());
 *  - a counter taken past INT32_MAX;
 *  - reuse: add(+n) on a zero counter while waiters > 0, i.e. before every
 *    wait() that zero released has returned.
 * Because reuse aborts, a zero stays put until every waiter it released
 * has seen it.
 */
#ifndef CPAT_WAITGROUP_STATE_H
#define CPAT_WAITGROUP_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpat/error.h"

/* The counter after adding delta to counter, with waiters inside wait();
 * aborts on misuse (see above). */
static inline int32_t cpat_waitgroup_rule(int32_t counter, uint32_t waiters, int delta) {
    const char *call = delta == -1 ? "cpat_waitgroup_done" : "cpat_waitgroup_add";
    int64_t n = (int64_t)counter + delta;
    if (n < 0)
        cpat_misuse(call, "the counter would go below zero (a done() without its add())");
    if (n > INT32_MAX)
        cpat_misuse(call, "the counter would pass INT32_MAX");
    if (delta > 0 && counter == 0 && waiters > 0)
        cpat_misuse(call, "the group was reused: add() restarted a zero counter before every "
                          "wait() that zero released had returned");
    return (int32_t)n;
}

static inline int32_t cpat_waitgroup_counter(uint64_t s) {
    return (int32_t)(s >> 32);
}

static inline uint32_t cpat_waitgroup_waiters(uint64_t s) {
    return (uint32_t)s;
}

/* add() on a packed state; returns the new state. */
static inline uint64_t cpat_waitgroup_state_add(_Atomic uint64_t *state, int delta) {
    /* delta in the high half; the low half (waiters) is untouched, since
     * the addend's low 32 bits are 0.  acq_rel: release publishes the
     * caller's work to the waiters; acquire lets the done() that reaches
     * zero pass every earlier add()/done()'s work on (they form one chain
     * of RMWs) to the waiters it wakes. */
    const uint64_t d = (uint64_t)(int64_t)delta << 32;
    uint64_t s = atomic_fetch_add_explicit(state, d, memory_order_acq_rel);
    cpat_waitgroup_rule(cpat_waitgroup_counter(s), cpat_waitgroup_waiters(s), delta);
    return s + d;
}

/* Enters wait(): false if the counter is already zero (nothing to wait
 * for), true once counted in as a waiter of a non-zero counter. */
static inline bool cpat_waitgroup_state_join(_Atomic uint64_t *state) {
    /* Acquire: a zero read here was made by the last done(), whose
     * acq_rel RMW carries every earlier one's work. */
    for (uint64_t s = atomic_load_explicit(state, memory_order_acquire);;) {
        if (cpat_waitgroup_counter(s) == 0)
            return false;
        /* waiters + 1.  Acquire on failure, for the zero we may reload
         * (C11 wants the success order at least as strong; joining itself
         * publishes nothing). */
        if (atomic_compare_exchange_weak_explicit(state, &s, s + 1, memory_order_acquire,
                                                  memory_order_acquire))
            return true;
    }
}

/* Leaves wait() early (a ctx-aware wait that gave up): true if it counted
 * itself out while the counter was still above zero; false if the counter
 * is zero already, so the zero has released this waiter too -- it must then
 * finish as a released one (take its token, leave) and report success.
 * Relaxed: leaving early publishes nothing, and a zero found here is
 * acquired by the token (futex) or the load (atomic) that follows. */
static inline bool cpat_waitgroup_state_unjoin(_Atomic uint64_t *state) {
    for (uint64_t s = atomic_load_explicit(state, memory_order_relaxed);;) {
        if (cpat_waitgroup_counter(s) == 0)
            return false;
        if (atomic_compare_exchange_weak_explicit(state, &s, s - 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return true;
    }
}

/* Leaves wait() after seeing the zero.  Relaxed: it publishes nothing; an
 * add() that must see it reads the latest value in its RMW anyway. */
static inline void cpat_waitgroup_state_leave(_Atomic uint64_t *state) {
    atomic_fetch_sub_explicit(state, 1, memory_order_relaxed);
}

#endif
