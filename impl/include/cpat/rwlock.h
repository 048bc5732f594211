/* Reader-writer lock: one interface, several implementations.
 *
 * Table form (choose at run time, see cpat/registry.h):
 *
 *     const struct cpat_rwlock_ops *ops = cpat_rwlock_find("bravo");
 *     void *l = cpat_obj_new(ops->size, ops->align);
 *     ops->init(l); ops->rdlock(l); ...; ops->rdunlock(l); ops->destroy(l);
 *
 * Direct form (hot path inlined, what the benchmarks measure):
 *
 *     #include "rwlock/bravo.h"
 *     struct cpat_rwlock_bravo l; cpat_rwlock_bravo_init(&l);
 *     cpat_rwlock_bravo_rdlock(&l); ...; cpat_rwlock_bravo_rdunlock(&l);
 *
 * Every variant V provides struct cpat_rwlock_V and cpat_rwlock_V_{init,
 * destroy, rdlock, rdunlock, wrlock, wrunlock, tryrd, trywr} with the
 * signatures of the table below.  As with Go's sync.RWMutex, a thread must
 * not take a read lock it already holds: with a writer waiting in between,
 * a writer-preferring lock deadlocks.
 */
#ifndef CPAT_RWLOCK_H
#define CPAT_RWLOCK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Properties a variant declares; verify uses them to pick expectations. */
enum {
    CPAT_RWLOCK_DETECTS_BAD_UNLOCK = 1u << 0, /* rd/wrunlock of a lock not so held returns EINVAL
                                                 (when no other thread holds it either) */
    CPAT_RWLOCK_PARKS = 1u << 1,              /* waiters sleep in the kernel */
    CPAT_RWLOCK_WRITER_PREFERRING = 1u << 2,  /* a waiting writer blocks new readers, so its
                                                 wait is bounded (verify R3 holds it to that) */
};

struct cpat_rwlock_ops {
    const char *name;  /* "futex"; the <impl> part of benchmark names */
    const char *kind;  /* "variant", "peer" (another library) or "null" (does nothing) */
    const char *about; /* one line for --list and the README */
    unsigned flags;    /* CPAT_RWLOCK_* */
    size_t size, align;
    int (*init)(void *l);     /* 0, or an errno from the underlying library */
    void (*destroy)(void *l); /* the lock must be free */
    void (*rdlock)(void *l);  /* blocks until read-held (shared) */
    int (*rdunlock)(void *l); /* 0, or EINVAL if detectably not read-held */
    void (*wrlock)(void *l);  /* blocks until write-held (exclusive) */
    int (*wrunlock)(void *l); /* 0, or EINVAL if detectably not write-held */
    int (*tryrd)(void *l);    /* 0 if now read-held, EAGAIN if that would block */
    int (*trywr)(void *l);    /* 0 if now write-held, EAGAIN if that would block */
};

extern const struct cpat_rwlock_ops cpat_rwlock_null_ops, cpat_rwlock_pthread_ops,
    cpat_rwlock_spin_ops, cpat_rwlock_futex_ops, cpat_rwlock_bravo_ops, cpat_rwlock_brlock_ops,
    cpat_rwlock_adaptive_ops, cpat_rwlock_pthread_wpref_ops;
/* Concurrency Kit peers, present when cpat was built with libck. */
extern const struct cpat_rwlock_ops cpat_rwlock_ck_rwlock_ops, cpat_rwlock_ck_brlock_ops;

#ifdef __cplusplus
}
#endif

#endif
