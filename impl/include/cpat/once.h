/* Once: run a function exactly once, however many threads ask (Go's
 * sync.Once).  One interface, several implementations.
 *
 * Table form (choose at run time, see cpat/registry.h):
 *
 *     const struct cpat_once_ops *ops = cpat_once_find("futex");
 *     void *o = cpat_obj_new(ops->size, ops->align);
 *     ops->init(o); ops->do_once(o, fn, arg); ...; ops->destroy(o);
 *
 * Direct form (hot path inlined, what the benchmarks measure):
 *
 *     #include "once/futex.h"
 *     struct cpat_once_futex o; cpat_once_futex_init(&o);
 *     cpat_once_futex_do(&o, fn, arg);
 *
 * Every variant V provides struct cpat_once_V and cpat_once_V_{init,
 * destroy, do}.  do(o, fn, arg) calls fn(arg) if no call on o has yet; every
 * call returns only after that one fn(arg) has returned, and sees its
 * effects.  As in Go, fn must not call do() on the same once (deadlock).
 * There is no null variant: once.fast's floor is limits.acquire_load.
 */
#ifndef CPAT_ONCE_H
#define CPAT_ONCE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Properties a variant declares. */
enum {
    CPAT_ONCE_PARKS = 1u << 0, /* callers waiting for fn sleep in the kernel */
};

struct cpat_once_ops {
    const char *name;  /* "futex"; the <impl> part of benchmark names */
    const char *kind;  /* "variant" */
    const char *about; /* one line for --list and the README */
    unsigned flags;    /* CPAT_ONCE_* */
    size_t size, align;
    int (*init)(void *o);     /* 0, or an errno from the underlying library */
    void (*destroy)(void *o); /* no do() may be running */
    void (*do_once)(void *o, void (*fn)(void *arg), void *arg); /* cpat_once_V_do */
};

extern const struct cpat_once_ops cpat_once_pthread_ops, cpat_once_atomic_ops, cpat_once_futex_ops;

#ifdef __cplusplus
}
#endif

#endif
