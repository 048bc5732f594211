/* Broken pools and fans.  The pool and the fan are a library whose insides
 * are static (impl/pool/pool.c, fan.c), so a mutant cannot replace one
 * function of them.  Instead:
 *
 *  - the pool mutants share one copy of the seed's pool of pool.c --
 *    worker, closer, start, submit, close, result, wait -- on the futex
 *    family, built only of public pieces (the family's channels, waitgroup
 *    and context).  What differs from pool.c: a start that cannot fail
 *    half-way (it dies instead), and, per mutant, the one bug marked BUG
 *    below, chosen by the mutant's `bug`;
 *  - the fan mutant's fan_in is a copy of fan.c's with its bug; its fan_out
 *    and the join of a fan_out are the library's own (futex).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cpat/error.h"
#include "cpat/registry.h"
#include "mutants.h"

enum mbug {
    EXITS_UNDRAINED,      /* (a) a worker leaves once close() is called, jobs still queued */
    CLOSES_ON_FIRST_EXIT, /* (b) results close when the first worker leaves, not the last */
    RERUNS_AFTER_CANCEL,  /* (c) a job the cancel interrupted is run again */
};

struct mpool {
    enum mbug bug;
    const struct cpat_chan_ops *chan;
    const struct cpat_waitgroup_ops *wg;
    void *wgobj;
    cpat_ctx *ctx;
    cpat_pool_fn fn;
    void *arg;
    void *jobs, *results;
    int workers;
    pthread_t *threads, closer;
    _Atomic bool closing; /* EXITS_UNDRAINED: close() has been called */
    _Atomic bool one_out; /* CLOSES_ON_FIRST_EXIT: a worker has left */
};

static void *mworker(void *arg) {
    struct mpool *p = arg;
    void *v;
    /* BUG (a): stops taking jobs once close() is called, instead of when
     * the jobs channel is closed *and drained* (recv's EPIPE). */
    while (
        !(p->bug == EXITS_UNDRAINED && atomic_load_explicit(&p->closing, memory_order_acquire)) &&
        cpat_ctx_recv(p->ctx, p->jobs, &v) == 0) {
        struct cpat_pool_job *j = v;
        j->err = p->fn(p->ctx, j, p->arg);
        /* BUG (c): "retries" a job whose run the cancel may have cut short. */
        if (p->bug == RERUNS_AFTER_CANCEL && cpat_ctx_err(p->ctx))
            j->err = p->fn(p->ctx, j, p->arg);
        j->fate = CPAT_JOB_DONE;
        p->chan->send(p->results, j); /* after an early close: EPIPE, the result is lost */
    }
    /* BUG (b): the waitgroup counts one worker (add(1) in mstart), and the
     * first worker out is the one that calls done(): the closer's
     * wg.Wait(); close(results) runs while the others still work. */
    if (p->bug != CLOSES_ON_FIRST_EXIT ||
        !atomic_exchange_explicit(&p->one_out, true, memory_order_acq_rel))
        p->wg->done(p->wgobj);
    return NULL;
}

/* pool.c's closer, unchanged. */
static void *mcloser(void *arg) {
    struct mpool *p = arg;
    p->wg->wait(p->wgobj);
    int err = cpat_ctx_err(p->ctx);
    if (err) {
        p->chan->close(p->jobs);
        void *v;
        while (p->chan->recv(p->jobs, &v) == 0) {
            struct cpat_pool_job *j = v;
            j->err = err;
            j->fate = CPAT_JOB_CANCELLED;
            p->chan->send(p->results, j);
        }
    }
    p->chan->close(p->results);
    return NULL;
}

static int mstart(struct cpat_pool **out, const struct cpat_pool_config *cfg, enum mbug bug) {
    const struct cpat_context_ops *family = &cpat_context_futex_ops;
    *out = NULL;
    if (cfg->workers < 1 || !cfg->fn || (cfg->ctx && cpat_ctx_ops(cfg->ctx) != family))
        return EINVAL;
    struct mpool *p = calloc(1, sizeof *p);
    if (!p || !(p->threads = calloc((size_t)cfg->workers, sizeof *p->threads)))
        cpat_die("calloc", ENOMEM);
    p->bug = bug;
    p->chan = family->chan;
    p->wg = cpat_waitgroup_find(family->name);
    p->fn = cfg->fn;
    p->arg = cfg->arg;
    p->workers = cfg->workers;
    size_t queue = cfg->queue ? cfg->queue : 100;
    int e = cpat_ctx_with_cancel(cfg->ctx ? cfg->ctx : cpat_ctx_background(family), &p->ctx);
    if (e || (e = p->chan->make(&p->jobs, queue)) || (e = p->chan->make(&p->results, queue)))
        cpat_die("mutant pool start", e);
    p->wgobj = cpat_obj_new(p->wg->size, p->wg->align);
    if ((e = p->wg->init(p->wgobj)))
        cpat_die("mutant pool start", e);
    p->wg->add(p->wgobj, bug == CLOSES_ON_FIRST_EXIT ? 1 : cfg->workers); /* BUG (b): 1 */
    for (int i = 0; i < cfg->workers; i++)
        if ((e = pthread_create(&p->threads[i], NULL, mworker, p)))
            cpat_die("pthread_create", e);
    if ((e = pthread_create(&p->closer, NULL, mcloser, p)))
        cpat_die("pthread_create", e);
    *out = (struct cpat_pool *)p;
    return 0;
}

static int msubmit(struct cpat_pool *pool, struct cpat_pool_job *job) {
    struct mpool *p = (struct mpool *)pool;
    return cpat_ctx_send(p->ctx, p->jobs, job);
}

static void mclose(struct cpat_pool *pool) {
    struct mpool *p = (struct mpool *)pool;
    atomic_store_explicit(&p->closing, true, memory_order_release); /* read by BUG (a) only */
    p->chan->close(p->jobs);
}

static int mresult(struct cpat_pool *pool, struct cpat_pool_job **job) {
    struct mpool *p = (struct mpool *)pool;
    void *v;
    int r = p->chan->recv(p->results, &v);
    *job = r ? NULL : v;
    return r;
}

static void mwait(struct cpat_pool *pool) {
    struct mpool *p = (struct mpool *)pool;
    for (int i = 0; i < p->workers; i++)
        pthread_join(p->threads[i], NULL);
    pthread_join(p->closer, NULL);
    p->chan->destroy(p->jobs);
    p->chan->destroy(p->results);
    p->wg->destroy(p->wgobj);
    free(p->wgobj);
    cpat_ctx_release(p->ctx);
    free(p->threads);
    free(p);
}

#define MUTANT_POOL(name_, bug_, about_)                                                           \
    static int name_##_start(struct cpat_pool **p, const struct cpat_pool_config *cfg) {           \
        return mstart(p, cfg, bug_);                                                               \
    }                                                                                              \
    static const struct cpat_pool_ops cpat_pool_##name_##_ops = {                                  \
        .name = #name_,                                                                            \
        .kind = "mutant",                                                                          \
        .about = (about_),                                                                         \
        .family = &cpat_context_futex_ops,                                                         \
        .start = name_##_start,                                                                    \
        .submit = msubmit,                                                                         \
        .close = mclose,                                                                           \
        .result = mresult,                                                                         \
        .wait = mwait,                                                                             \
    };

MUTANT_POOL(mutant_exits_undrained, EXITS_UNDRAINED,
            "seed pool whose workers leave at close() with jobs still queued")
MUTANT_POOL(mutant_closes_on_first_exit, CLOSES_ON_FIRST_EXIT,
            "seed pool whose results close when the first worker leaves")
MUTANT_POOL(mutant_reruns_after_cancel, RERUNS_AFTER_CANCEL,
            "seed pool that runs a job again when the context ended during it")

const struct vmutant_pool vmutants_pool[] = {
    {&cpat_pool_mutant_exits_undrained_ops, false, "P1, P2"},
    {&cpat_pool_mutant_closes_on_first_exit_ops, false, "P1, P4 (TSan: the race on the stamp)"},
    {&cpat_pool_mutant_reruns_after_cancel_ops, false, "P3"},
    {NULL, false, NULL},
};

/* ---- fan ---------------------------------------------------------------- */

/* A fan of this file: a fan_in of its own, or the library's fan_out. */
struct mfan {
    struct cpat_fan *lib; /* fan_out: the library's fan, joined by the library */
    const struct cpat_chan_ops *chan;
    void *merged;
    size_t n;
    _Atomic bool closed;
    pthread_t *threads;
    struct mleg {
        struct mfan *f;
        void *in;
    } * legs;
};

static void *mleg_main(void *arg) {
    struct mleg *l = arg;
    const struct cpat_chan_ops *ch = l->f->chan;
    void *v;
    while (ch->recv(l->in, &v) == 0)
        ch->send(l->f->merged, v); /* after the early close: EPIPE, the value is lost */
    /* BUG (d): no wg.Wait() -- the first input to close closes the merged
     * channel, while the others may still have values to forward. */
    if (!atomic_exchange_explicit(&l->f->closed, true, memory_order_acq_rel))
        ch->close(l->f->merged);
    return NULL;
}

static int mfan_in(struct cpat_fan **out, void *const *ins, size_t n, void **merged) {
    *out = NULL;
    if (n == 0)
        return EINVAL;
    struct mfan *f = calloc(1, sizeof *f);
    if (!f || !(f->threads = calloc(n, sizeof *f->threads)) ||
        !(f->legs = calloc(n, sizeof *f->legs)))
        cpat_die("calloc", ENOMEM);
    f->chan = &cpat_chan_futex_ops;
    f->n = n;
    int e = f->chan->make(&f->merged, 0);
    if (e)
        cpat_die("mutant fan_in", e);
    for (size_t i = 0; i < n; i++) {
        f->legs[i] = (struct mleg){f, ins[i]};
        if ((e = pthread_create(&f->threads[i], NULL, mleg_main, &f->legs[i])))
            cpat_die("pthread_create", e);
    }
    *merged = f->merged;
    *out = (struct cpat_fan *)f;
    return 0;
}

static int mfan_out(struct cpat_fan **out, void *in, size_t n, void *(*fn)(void *, void *),
                    void *arg, void **outs) {
    struct mfan *f = calloc(1, sizeof *f);
    if (!f)
        cpat_die("calloc", ENOMEM);
    int e = cpat_fan_futex_ops.fan_out(&f->lib, in, n, fn, arg, outs);
    if (e) {
        free(f);
        *out = NULL;
        return e;
    }
    *out = (struct cpat_fan *)f;
    return 0;
}

static void mfan_join(struct cpat_fan *fan) {
    struct mfan *f = (struct mfan *)fan;
    if (f->lib)
        cpat_fan_futex_ops.join(f->lib);
    for (size_t i = 0; i < f->n; i++)
        pthread_join(f->threads[i], NULL);
    free(f->threads);
    free(f->legs);
    free(f);
}

static const struct cpat_fan_ops cpat_fan_mutant_closes_on_first_input_ops = {
    .name = "mutant_closes_on_first_input",
    .kind = "mutant",
    .about = "futex fan whose fan_in closes the merged channel when its first input closes",
    .chan = &cpat_chan_futex_ops,
    .fan_out = mfan_out,
    .fan_in = mfan_in,
    .join = mfan_join,
};

const struct vmutant_fan vmutants_fan[] = {
    {&cpat_fan_mutant_closes_on_first_input_ops, false, "F1"},
    {NULL, false, NULL},
};
