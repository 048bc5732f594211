/* The seed's worker pool and fan-out/fan-in, on cpat's own channels,
 * waitgroup and context.
 *
 *     // Go:  jobs := make(chan Job, 100); results := make(chan Result, 100)
 *     //      for w := 0; w < n; w++ { wg.Add(1); go worker(ctx, jobs, results, &wg) }
 *     //      go func() { wg.Wait(); close(results) }()
 *     const struct cpat_pool_ops *ops = cpat_pool_find("futex");
 *     struct cpat_pool *p;
 *     ops->start(&p, &(struct cpat_pool_config){.workers = 4, .fn = fn, .ctx = ctx});
 *     ops->submit(p, &job.head);             // jobs <- job (blocks when full; ctx-aware)
 *     ops->close(p);                         // close(jobs)
 *     struct cpat_pool_job *j;
 *     while (ops->result(p, &j) == 0) ...    // for r := range results
 *     ops->wait(p);                          // every worker gone; frees p
 *
 * A job is the caller's: embed struct cpat_pool_job in your own struct (it
 * is never copied or freed by the pool; recover yours with container_of).
 * Each submitted job comes out of the results exactly once, with its fate:
 *   CPAT_JOB_DONE       fn ran; job->err is what fn returned (0 or a code)
 *   CPAT_JOB_CANCELLED  the pool's context ended before a worker took it:
 *                       fn never ran, job->err is the context's Err
 * A submit that returns non-zero (ECANCELED, ETIMEDOUT: the context ended;
 * EPIPE: after close) did not take the job: it never comes out.
 *
 * Cancelling the pool's context (or its deadline passing) stops the
 * workers taking jobs; a running fn sees it through its ctx argument and
 * may return early; the jobs still queued come out as cancelled, and the
 * results close once, after the last worker's last result (the seed's
 * wg.Wait(); close(results)).  The caller must take the results until
 * result() returns EPIPE (a full results channel blocks the workers, as in
 * Go), then call wait().
 *
 * fan (the seed's fanOut/fanIn): fan_out starts n workers that each take
 * values from `in` and send fn(arg, v) to their own output channel, closed
 * when `in` is closed and drained; fan_in forwards every value of n
 * channels to one, closed exactly once after all of them are.  Channels are
 * of the variant's family and unbuffered, as the seed's make(chan int);
 * those a fan makes are the caller's to destroy after fan_join(), which
 * waits for the fan's threads and frees it.
 */
#ifndef CPAT_POOL_H
#define CPAT_POOL_H

#include <stddef.h>

#include "cpat/chan.h"
#include "cpat/context.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CPAT_JOB_DONE = 1, CPAT_JOB_CANCELLED = 2 };

struct cpat_pool_job {
    int fate; /* CPAT_JOB_*: set by the pool before the job comes out */
    int err;  /* fn's return, or the context's Err if cancelled */
};

/* The job function: runs on a worker thread with the pool's context. */
typedef int (*cpat_pool_fn)(cpat_ctx *ctx, struct cpat_pool_job *job, void *arg);

struct cpat_pool_config {
    int workers;     /* >= 1 */
    cpat_pool_fn fn; /* the job function */
    void *arg;       /* its last argument */
    size_t queue;    /* capacity of the jobs and results channels (0: 100, the seed's) */
    cpat_ctx *ctx;   /* of the pool's family, or NULL (its background): the pool takes
                        a reference of its own */
};

struct cpat_pool;

struct cpat_pool_ops {
    const char *name;                      /* "futex"; the <impl> part of benchmark names */
    const char *kind;                      /* "variant" */
    const char *about;                     /* one line for --list and the README */
    const struct cpat_context_ops *family; /* whose contexts it takes */
    int (*start)(struct cpat_pool **p,
                 const struct cpat_pool_config *cfg); /* 0, EINVAL, ENOMEM, EAGAIN */
    int (*submit)(struct cpat_pool *p,
                  struct cpat_pool_job *job); /* 0, ECANCELED, ETIMEDOUT, EPIPE */
    void (*close)(struct cpat_pool *p);       /* no more jobs (idempotent) */
    int (*result)(struct cpat_pool *p, struct cpat_pool_job **job); /* 0, or EPIPE: all out */
    void (*wait)(struct cpat_pool *p); /* after result() gave EPIPE: joins the workers, frees p */
};

extern const struct cpat_pool_ops cpat_pool_pthread_ops, cpat_pool_atomic_ops, cpat_pool_futex_ops,
    cpat_pool_steal_ops;

/* ---- fan ---- */

struct cpat_fan;

struct cpat_fan_ops {
    const char *name, *kind, *about;
    const struct cpat_chan_ops *chan; /* the family of its channels */
    /* outs[0..n-1] receive the channels made; 0, EINVAL, ENOMEM, EAGAIN */
    int (*fan_out)(struct cpat_fan **f, void *in, size_t n, void *(*fn)(void *arg, void *v),
                   void *arg, void **outs);
    int (*fan_in)(struct cpat_fan **f, void *const *ins, size_t n, void **out);
    void (*join)(struct cpat_fan *f); /* waits for the fan's threads; frees f */
};

extern const struct cpat_fan_ops cpat_fan_pthread_ops, cpat_fan_atomic_ops, cpat_fan_futex_ops;

#ifdef __cplusplus
}
#endif

#endif
