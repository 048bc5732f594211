/* WaitGroup: wait for a collection of threads to finish (Go's
 * sync.WaitGroup).  One interface, several implementations.
 *
 * Table form (choose at run time, see cpat/registry.h):
 *
 *     const struct cpat_waitgroup_ops *ops = cpat_waitgroup_find("futex");
 *     void *wg = cpat_obj_new(ops->size, ops->align);
 *     ops->init(wg); ops->add(wg, n); ... ops->done(wg) ...; ops->wait(wg);
 *
 * Direct form (hot path inlined, what the benchmarks measure):
 *
 *     #include "waitgroup/futex.h"
 *     struct cpat_waitgroup_futex wg; cpat_waitgroup_futex_init(&wg);
 *     cpat_waitgroup_futex_add(&wg, n); ... cpat_waitgroup_futex_wait(&wg);
 *
 * Every variant V provides struct cpat_waitgroup_V and cpat_waitgroup_V_
 * {init, destroy, add, done, wait, wait_until, kick}.  The counter is an int32; wait() returns
 * once it has been zero (at once if it is zero).  Each done() happens-before
 * the return of every wait() it releases.
 *
 * Misuse aborts with a one-line message naming the call (cpat_misuse), as
 * Go panics, in every variant alike:
 *  - a counter taken below zero (a done() without its add());
 *  - a counter taken above INT32_MAX;
 *  - reuse: with CPAT_WAITGROUP_DETECTS_REUSE, add() of a positive delta to
 *    a zero counter while a wait() it released has not returned yet (Go:
 *    "WaitGroup is reused before previous Wait has returned").  A variant
 *    that detects it counts its waiters, and its waiters cannot miss the
 *    zero that released them.
 * Why abort rather than return EINVAL: the fast add() is one fetch_add
 * (waitgroup/state.h), which has published the new counter to every other
 * thread before it can check it; other threads' correct calls may already
 * have acted on it, so there is nothing to take back.  add() and done()
 * therefore always return 0 (the int is kept for the table interface).
 */
#ifndef CPAT_WAITGROUP_H
#define CPAT_WAITGROUP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Properties a variant declares; verify uses them to pick expectations. */
enum {
    CPAT_WAITGROUP_PARKS = 1u << 0,         /* waiters sleep in the kernel */
    CPAT_WAITGROUP_DETECTS_REUSE = 1u << 1, /* add from zero aborts while a wait is returning */
};

struct cpat_stop; /* a flag that tells a wait_until() to give up (common/stop.h) */

struct cpat_waitgroup_ops {
    const char *name;  /* "futex"; the <impl> part of benchmark names */
    const char *kind;  /* "variant" or "null" (does nothing) */
    const char *about; /* one line for --list and the README */
    unsigned flags;    /* CPAT_WAITGROUP_* */
    size_t size, align;
    int (*init)(void *wg);           /* 0, or an errno from the underlying library */
    void (*destroy)(void *wg);       /* no wait() may be running */
    int (*add)(void *wg, int delta); /* 0 (misuse aborts, see above) */
    int (*done)(void *wg);           /* add(wg, -1) */
    void (*wait)(void *wg);          /* blocks until the counter is zero */
    /* wait(), giving up: ETIMEDOUT once deadline_ns (CLOCK_MONOTONIC ns,
     * UINT64_MAX: never) has passed, ECANCELED once *stop is set -- which
     * it reads when it starts and each time it wakes, so whoever sets it
     * must then call kick(wg, stop).  0 if the counter reached zero first;
     * a waiter that gives up is gone from the group (a later zero does not
     * count it).  cpat_ctx_wg_wait (context.h) is this with a context. */
    int (*wait_until)(void *wg, uint64_t deadline_ns, struct cpat_stop *stop);
    void (*kick)(void *wg, struct cpat_stop *stop); /* wakes the wait_until() of stop */
};

extern const struct cpat_waitgroup_ops cpat_waitgroup_null_ops, cpat_waitgroup_pthread_ops,
    cpat_waitgroup_atomic_ops, cpat_waitgroup_futex_ops;

#ifdef __cplusplus
}
#endif

#endif
