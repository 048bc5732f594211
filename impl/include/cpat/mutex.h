/* Mutex: one interface, several implementations.
 *
 * Table form (choose at run time, see cpat/registry.h):
 *
 *     const struct cpat_mutex_ops *ops = cpat_mutex_find("futex");
 *     void *m = cpat_obj_new(ops->size, ops->align);
 *     ops->init(m); ops->lock(m); ...; ops->unlock(m); ops->destroy(m);
 *
 * Direct form (hot path inlined, what the benchmarks measure):
 *
 *     #include "mutex/futex.h"
 *     struct cpat_mutex_futex m; cpat_mutex_futex_init(&m);
 *     cpat_mutex_futex_lock(&m); ...; cpat_mutex_futex_unlock(&m);
 *
 * Every variant V provides struct cpat_mutex_V and cpat_mutex_V_{init,
 * destroy, lock, trylock, unlock} with the signatures of the table below;
 * those that can give up a wait also lock_until and kick.
 * Unlike Go's Mutex, the queue locks (mcs, ck_mcs) must be unlocked by the
 * thread that locked them: their queue node is that thread's.
 */
#ifndef CPAT_MUTEX_H
#define CPAT_MUTEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Properties a variant declares; verify uses them to pick expectations. */
enum {
    CPAT_MUTEX_DETECTS_BAD_UNLOCK = 1u << 0, /* unlock of an unlocked lock returns EINVAL */
    CPAT_MUTEX_PARKS = 1u << 1,              /* waiters sleep in the kernel */
    CPAT_MUTEX_FIFO = 1u << 2,               /* waiters are served in arrival order */
    CPAT_MUTEX_UNBOUNDED = 1u << 3,          /* no bounded-wait promise: a waiter can starve */
};

struct cpat_stop; /* a flag that tells a lock_until() to give up (common/stop.h) */

struct cpat_mutex_ops {
    const char *name;  /* "futex"; the <impl> part of benchmark names */
    const char *kind;  /* "variant", "peer" (another library) or "null" (does nothing) */
    const char *about; /* one line for --list and the README */
    unsigned flags;    /* CPAT_MUTEX_* */
    size_t size, align;
    int (*init)(void *m);     /* 0, or an errno from the underlying library */
    void (*destroy)(void *m); /* the lock must be unlocked */
    void (*lock)(void *m);    /* blocks until held */
    int (*trylock)(void *m);  /* 0 if now held, EAGAIN if held by someone; never blocks */
    int (*unlock)(void *m);   /* 0, or EINVAL if detectably not locked */
    /* lock(), giving up: ETIMEDOUT once deadline_ns (CLOCK_MONOTONIC ns,
     * UINT64_MAX: never) has passed, ECANCELED once *stop is set; 0 when
     * held, and never both.  Whoever sets *stop then calls kick(m, stop) to
     * wake this waiter.  NULL where a waiter cannot leave: the queue locks
     * (ticket, mcs, adaptive's ticket queue), whose waiters hold a place
     * the lock hands on.  cpat_ctx_mutex_lock (context.h) is this with a context. */
    int (*lock_until)(void *m, uint64_t deadline_ns, struct cpat_stop *stop);
    void (*kick)(void *m, struct cpat_stop *stop);
};

extern const struct cpat_mutex_ops cpat_mutex_null_ops, cpat_mutex_pthread_ops, cpat_mutex_spin_ops,
    cpat_mutex_ticket_ops, cpat_mutex_mcs_ops, cpat_mutex_futex_ops, cpat_mutex_adaptive_ops,
    cpat_mutex_pthread_adaptive_ops;
/* Concurrency Kit peers, present when cpat was built with libck. */
extern const struct cpat_mutex_ops cpat_mutex_ck_fas_ops, cpat_mutex_ck_ticket_ops,
    cpat_mutex_ck_mcs_ops;

#ifdef __cplusplus
}
#endif

#endif
