/* The pool's insides (pool.c: the seed's pool per family; steal.c: the
 * work-stealing pool). */
#ifndef CPAT_POOL_INTERNAL_H
#define CPAT_POOL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cpat/pool.h"
#include "cpat/waitgroup.h"

struct cpat_pool {
    const struct cpat_pool_ops *ops;
    const struct cpat_chan_ops *chan;
    const struct cpat_waitgroup_ops *wg;
    void *wgobj;
    cpat_ctx *ctx; /* the pool's own child of the caller's context */
    cpat_pool_fn fn;
    void *arg;
    void *jobs, *results;
    int workers;
    pthread_t *threads, closer;
    struct steal *steal; /* steal.c only */
};

#endif
