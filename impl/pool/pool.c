/* The seed's worker pool, one per channel family: a jobs channel, workers
 * that take jobs with a ctx-aware recv, a results channel, a waitgroup and
 * a closer thread -- the seed's code, composed of that family's parts:
 *
 *     for w := 0; w < n; w++ { wg.Add(1); go worker(ctx, jobs, results) }
 *     go func() { wg.Wait(); close(results) }()
 *
 * The closer adds what cancellation needs: once every worker has gone, if
 * the context ended it closes the jobs channel (a submit blocked on it
 * returns EPIPE: its job was not taken) and sends every job still queued
 * to the results as cancelled, then closes the results.  So each job taken
 * comes out exactly once, and the results close after the last worker's
 * last result.  See cpat/pool.h for the interface.
 */
#include "pool/pool.h"

#include <errno.h>
#include <stdlib.h>

#include "cpat/error.h"
#include "cpat/registry.h"

static void *worker_main(void *arg) {
    struct cpat_pool *p = arg;
    const struct cpat_chan_ops *ch = p->chan;
    void *v;
    /* Until jobs is closed and drained (EPIPE) or the context ends. */
    while (cpat_ctx_recv(p->ctx, p->jobs, &v) == 0) {
        struct cpat_pool_job *j = v;
        j->err = p->fn(p->ctx, j, p->arg);
        j->fate = CPAT_JOB_DONE;
        /* Not ctx-aware: a finished job's result is never dropped. */
        ch->send(p->results, j);
    }
    p->wg->done(p->wgobj);
    return NULL;
}

static void *closer_main(void *arg) {
    struct cpat_pool *p = arg;
    const struct cpat_chan_ops *ch = p->chan;
    p->wg->wait(p->wgobj);
    int err = cpat_ctx_err(p->ctx);
    if (err) {              /* the workers left jobs behind: they come out cancelled */
        ch->close(p->jobs); /* EPIPE if the owner closed it already: fine */
        void *v;
        while (ch->recv(p->jobs, &v) == 0) {
            struct cpat_pool_job *j = v;
            j->err = err;
            j->fate = CPAT_JOB_CANCELLED;
            ch->send(p->results, j);
        }
    }
    ch->close(p->results);
    return NULL;
}

int cpat_pool_start_family(struct cpat_pool **out, const struct cpat_pool_config *cfg,
                           const struct cpat_pool_ops *ops) {
    *out = NULL;
    if (cfg->workers < 1 || !cfg->fn || (cfg->ctx && cpat_ctx_ops(cfg->ctx) != ops->family))
        return EINVAL;
    struct cpat_pool *p = calloc(1, sizeof *p);
    pthread_t *threads = calloc((size_t)cfg->workers, sizeof *threads);
    if (!p || !threads) {
        free(p);
        free(threads);
        return ENOMEM;
    }
    p->ops = ops;
    p->chan = ops->family->chan;
    p->wg = cpat_waitgroup_find(ops->family->name);
    p->fn = cfg->fn;
    p->arg = cfg->arg;
    p->workers = cfg->workers;
    p->threads = threads;
    /* A child of the caller's context: cancelling the caller's cancels
     * the pool, and a start that fails half-way can stop what it started. */
    int e = cpat_ctx_with_cancel(cfg->ctx ? cfg->ctx : cpat_ctx_background(ops->family), &p->ctx);
    size_t queue = cfg->queue ? cfg->queue : 100;
    if (!e)
        e = p->chan->make(&p->jobs, queue);
    if (!e)
        e = p->chan->make(&p->results, queue);
    if (!e) {
        p->wgobj = cpat_obj_new(p->wg->size, p->wg->align);
        e = p->wg->init(p->wgobj);
    }
    if (!e) {
        p->wg->add(p->wgobj, cfg->workers);
        int started = 0;
        while (started < cfg->workers &&
               (e = pthread_create(&threads[started], NULL, worker_main, p)) == 0)
            started++;
        if (!e)
            e = pthread_create(&p->closer, NULL, closer_main, p);
        if (!e) {
            *out = p;
            return 0;
        }
        /* No thread: stop what started (the context ends their recv) and
         * undo.  The closer is not running, so nothing else touches p. */
        cpat_ctx_cancel(p->ctx);
        for (int i = 0; i < started; i++)
            pthread_join(threads[i], NULL);
        e = EAGAIN;
    }
    if (p->jobs)
        p->chan->destroy(p->jobs);
    if (p->results)
        p->chan->destroy(p->results);
    if (p->wgobj)
        p->wg->destroy(p->wgobj);
    free(p->wgobj);
    cpat_ctx_release(p->ctx);
    free(threads);
    free(p);
    return e;
}

static int pool_submit(struct cpat_pool *p, struct cpat_pool_job *job) {
    return cpat_ctx_send(p->ctx, p->jobs, job);
}

static void pool_close(struct cpat_pool *p) {
    p->chan->close(p->jobs); /* a second close returns EPIPE: ignored */
}

static int pool_result(struct cpat_pool *p, struct cpat_pool_job **job) {
    void *v;
    int r = p->chan->recv(p->results, &v);
    *job = r ? NULL : v;
    return r;
}

static void pool_wait(struct cpat_pool *p) {
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

#define CPAT_POOL_FAMILY(V, about_)                                                                \
    static int V##_start_(struct cpat_pool **p, const struct cpat_pool_config *cfg) {              \
        return cpat_pool_start_family(p, cfg, &cpat_pool_##V##_ops);                               \
    }                                                                                              \
    const struct cpat_pool_ops cpat_pool_##V##_ops = {                                             \
        .name = #V,                                                                                \
        .kind = "variant",                                                                         \
        .about = (about_),                                                                         \
        .family = &cpat_context_##V##_ops,                                                         \
        .start = V##_start_,                                                                       \
        .submit = pool_submit,                                                                     \
        .close = pool_close,                                                                       \
        .result = pool_result,                                                                     \
        .wait = pool_wait,                                                                         \
    };

CPAT_POOL_FAMILY(pthread, "the seed's pool on pthread channels, waitgroup and context")
CPAT_POOL_FAMILY(atomic, "the seed's pool on atomic channels, waitgroup and context")
CPAT_POOL_FAMILY(futex, "the seed's pool on futex channels, waitgroup and context")
