/* The work-stealing pool: no shared jobs channel.  Each worker owns a
 * queue (a lock-free atomic channel, chan/atomic.h); a submit puts the job
 * on the next worker's queue in turn (the next one with room), a worker
 * takes from its own queue and, when it is empty, steals from the others
 * starting at a random one (Go's scheduler keeps per-P run queues and
 * steals the same way).  Results go through one futex channel.
 *
 * Sleeping: idle workers and submitters that find every queue full sleep
 * on eventcounts, futex words that only grow:
 *   work   bumped after every submit (and on close and cancel): a worker
 *          loads it, counts itself in idle_workers, looks at every queue
 *          once more, and sleeps only while it is unchanged;
 *   space  bumped after a worker takes a job while a submitter waits (and
 *          on cancel), the same way for submitters.
 * The bump is a seq_cst RMW and the waiter count a seq_cst load after it;
 * the waiter increments its count before it loads the eventcount (both
 * seq_cst).  So either the waker sees the waiter counted and wakes it, or
 * the waiter's load sees the bump -- and, through it, the job (enqueued
 * before the bump): no wake-up is lost, and an uncontended submit makes no
 * syscall.
 *
 * Closing: close() closes every queue (a send racing with it either lands
 * before, and is drained, or fails with EPIPE); a worker leaves when every
 * queue is closed and empty.  Cancel: an after_func of the pool's context
 * bumps both eventcounts and wakes everyone; workers leave between jobs;
 * once all have, the closer closes the queues, reports every job left in
 * them as cancelled and closes the results.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>

#include "chan/atomic.h"
#include "chan/futex.h"
#include "common/fastrand.h"
#include "common/futex.h"
#include "common/spin.h"
#include "cpat/error.h"
#include "cpat/registry.h"
#include "pool/pool.h"

#define STEAL_SPINS 64 /* rounds of looking at every queue before a worker sleeps */

struct steal {
    struct cpat_chan_atomic **queue; /* one per worker */
    struct cpat_ctx_after *on_cancel;
    alignas(64) _Atomic uint32_t work; /* eventcount (see the top) */
    _Atomic uint32_t idle_workers;
    alignas(64) _Atomic uint32_t space; /* eventcount */
    _Atomic uint32_t waiting_submitters;
    alignas(64) _Atomic uint32_t next; /* round-robin submit position */
    _Atomic bool cancel_done;          /* on_cancel has finished with us */
};

static void bump(_Atomic uint32_t *ec, _Atomic uint32_t *waiters, int n) {
    atomic_fetch_add_explicit(ec, 1, memory_order_seq_cst);
    if (atomic_load_explicit(waiters, memory_order_seq_cst))
        cpat_futex_wake(ec, n);
}

static void on_cancel(void *arg) {
    struct steal *s = arg;
    bump(&s->work, &s->idle_workers, CPAT_FUTEX_WAKE_ALL);
    bump(&s->space, &s->waiting_submitters, CPAT_FUTEX_WAKE_ALL);
    /* Release: pairs with steal_free's acquire; after it we touch no more. */
    atomic_store_explicit(&s->cancel_done, true, memory_order_release);
}

/* One job from our queue or a victim's: 0, EAGAIN (none now), EPIPE (every
 * queue closed and drained). */
static int take(struct cpat_pool *p, int me, struct cpat_pool_job **j) {
    struct steal *s = p->steal;
    void *v;
    int r = cpat_chan_atomic_tryrecv(s->queue[me], &v), closed = r == EPIPE;
    if (r == 0) {
        *j = v;
        return 0;
    }
    int start = (int)cpat_fastrand_n((uint32_t)p->workers);
    for (int k = 0; k < p->workers; k++) {
        int victim = (start + k) % p->workers;
        if (victim == me)
            continue;
        r = cpat_chan_atomic_tryrecv(s->queue[victim], &v);
        if (r == 0) {
            *j = v;
            return 0;
        }
        closed += r == EPIPE;
    }
    return closed == p->workers ? EPIPE : EAGAIN;
}

/* Runs a job just taken, after waking a submitter that waits for the
 * room it left (every take must: a take that did not would leave a
 * submitter asleep with room to spare until some later take). */
static void run_job(struct cpat_pool *p, struct cpat_pool_job *j) {
    struct steal *s = p->steal;
    if (atomic_load_explicit(&s->waiting_submitters, memory_order_relaxed))
        bump(&s->space, &s->waiting_submitters, 1);
    j->err = p->fn(p->ctx, j, p->arg);
    j->fate = CPAT_JOB_DONE;
    cpat_chan_futex_send(p->results, j); /* never dropped */
}

struct worker_arg {
    struct cpat_pool *p;
    int me;
};

static void *steal_worker(void *arg) {
    struct cpat_pool *p = ((struct worker_arg *)arg)->p;
    int me = ((struct worker_arg *)arg)->me;
    free(arg);
    struct steal *s = p->steal;
    for (unsigned idle = 0; !cpat_ctx_err(p->ctx);) {
        struct cpat_pool_job *j;
        int r = take(p, me, &j);
        if (r == EPIPE)
            break;
        if (r == 0) {
            idle = 0;
            run_job(p, j);
            continue;
        }
        if (++idle < STEAL_SPINS) {
            cpat_cpu_relax();
            continue;
        }
        /* Sleep until a submit, close or cancel bumps `work` (see the top
         * for why none is missed). */
        atomic_fetch_add_explicit(&s->idle_workers, 1, memory_order_seq_cst);
        uint32_t e = atomic_load_explicit(&s->work, memory_order_seq_cst);
        r = take(p, me, &j);
        if (r == 0) {
            atomic_fetch_sub_explicit(&s->idle_workers, 1, memory_order_relaxed);
            run_job(p, j); /* this take used to skip the submitters' wake: a hang in P2 */
            idle = 0;
            continue;
        }
        if (r == EAGAIN && !cpat_ctx_err(p->ctx))
            cpat_futex_wait(&s->work, e, NULL); /* any return looks again */
        atomic_fetch_sub_explicit(&s->idle_workers, 1, memory_order_relaxed);
        if (r == EPIPE)
            break;
        idle = 0;
    }
    p->wg->done(p->wgobj);
    return NULL;
}

static void *steal_closer(void *arg) {
    struct cpat_pool *p = arg;
    struct steal *s = p->steal;
    p->wg->wait(p->wgobj);
    int err = cpat_ctx_err(p->ctx);
    if (err) {
        for (int w = 0; w < p->workers; w++) {
            cpat_chan_atomic_close(s->queue[w]);
            void *v;
            while (cpat_chan_atomic_recv(s->queue[w], &v) == 0) {
                struct cpat_pool_job *j = v;
                j->err = err;
                j->fate = CPAT_JOB_CANCELLED;
                cpat_chan_futex_send(p->results, j);
            }
        }
    }
    cpat_chan_futex_close(p->results);
    return NULL;
}

static void steal_free(struct cpat_pool *p) {
    struct steal *s = p->steal;
    if (s) {
        /* If on_cancel has started (on whichever thread cancelled us), it
         * may still be running: wait for it before s goes. */
        if (s->on_cancel && !cpat_ctx_after_stop(s->on_cancel))
            for (uint32_t i = 0; !atomic_load_explicit(&s->cancel_done, memory_order_acquire); i++)
                cpat_poll_wait(i, 64);
        for (int w = 0; s->queue && w < p->workers; w++)
            cpat_chan_atomic_destroy(s->queue[w]);
        free(s->queue);
        free(s);
    }
    if (p->results)
        cpat_chan_futex_destroy(p->results);
    if (p->wgobj)
        p->wg->destroy(p->wgobj);
    free(p->wgobj);
    cpat_ctx_release(p->ctx);
    free(p->threads);
    free(p);
}

static int steal_start(struct cpat_pool **out, const struct cpat_pool_config *cfg) {
    *out = NULL;
    if (cfg->workers < 1 || !cfg->fn ||
        (cfg->ctx && cpat_ctx_ops(cfg->ctx) != &cpat_context_futex_ops))
        return EINVAL;
    struct cpat_pool *p = calloc(1, sizeof *p);
    if (!p)
        return ENOMEM;
    p->ops = &cpat_pool_steal_ops;
    p->chan = &cpat_chan_futex_ops;
    p->wg = &cpat_waitgroup_futex_ops;
    p->fn = cfg->fn;
    p->arg = cfg->arg;
    p->workers = cfg->workers;
    size_t queue = cfg->queue ? cfg->queue : 100;
    size_t per = (queue + (size_t)cfg->workers - 1) / (size_t)cfg->workers;
    p->threads = calloc((size_t)cfg->workers, sizeof *p->threads);
    struct steal *s = p->steal = aligned_alloc(64, sizeof *s);
    int e = !p->threads || !s ? ENOMEM : 0;
    if (s) {
        *s = (struct steal){.queue = calloc((size_t)cfg->workers, sizeof *s->queue)};
        e = s->queue ? e : ENOMEM;
    }
    for (int w = 0; !e && w < cfg->workers; w++)
        e = cpat_chan_atomic_make(&s->queue[w], per ? per : 1);
    if (!e)
        e = cpat_chan_futex_make((struct cpat_chan_futex **)&p->results, queue);
    if (!e)
        e = cpat_ctx_with_cancel(cfg->ctx ? cfg->ctx : cpat_ctx_background(&cpat_context_futex_ops),
                                 &p->ctx);
    if (!e)
        e = cpat_ctx_after_func(p->ctx, on_cancel, s, &s->on_cancel);
    if (!e) {
        p->wgobj = cpat_obj_new(p->wg->size, p->wg->align);
        e = p->wg->init(p->wgobj);
    }
    if (e) {
        steal_free(p);
        return e;
    }
    p->wg->add(p->wgobj, cfg->workers);
    int started = 0;
    for (; started < cfg->workers; started++) {
        struct worker_arg *a = malloc(sizeof *a);
        if (!a)
            break;
        *a = (struct worker_arg){p, started};
        if ((e = pthread_create(&p->threads[started], NULL, steal_worker, a)) != 0) {
            free(a);
            break;
        }
    }
    if (started == cfg->workers && pthread_create(&p->closer, NULL, steal_closer, p) == 0) {
        *out = p;
        return 0;
    }
    cpat_ctx_cancel(p->ctx); /* stops the workers that started */
    for (int w = 0; w < started; w++)
        pthread_join(p->threads[w], NULL);
    steal_free(p);
    return EAGAIN;
}

static int steal_submit(struct cpat_pool *p, struct cpat_pool_job *job) {
    struct steal *s = p->steal;
    for (;;) {
        int err = cpat_ctx_err(p->ctx);
        if (err)
            return err;
        uint32_t first = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
        for (int k = 0; k < p->workers; k++) {
            int r = cpat_chan_atomic_trysend(s->queue[(first + (uint32_t)k) % (uint32_t)p->workers],
                                             job);
            if (r == 0) {
                bump(&s->work, &s->idle_workers, 1);
                return 0;
            }
            if (r == EPIPE)
                return EPIPE; /* closed */
        }
        /* Every queue full: sleep until a worker takes a job or the
         * context ends (the same eventcount handshake as the workers'). */
        atomic_fetch_add_explicit(&s->waiting_submitters, 1, memory_order_seq_cst);
        uint32_t e = atomic_load_explicit(&s->space, memory_order_seq_cst);
        bool full = true;
        for (int k = 0; k < p->workers && full; k++)
            full = cpat_chan_atomic_len(s->queue[k]) >= cpat_chan_atomic_cap(s->queue[k]);
        if (full && !cpat_ctx_err(p->ctx))
            cpat_futex_wait(&s->space, e, NULL);
        atomic_fetch_sub_explicit(&s->waiting_submitters, 1, memory_order_relaxed);
    }
}

static void steal_close(struct cpat_pool *p) {
    for (int w = 0; w < p->workers; w++)
        cpat_chan_atomic_close(p->steal->queue[w]);
    bump(&p->steal->work, &p->steal->idle_workers, CPAT_FUTEX_WAKE_ALL);
}

static int steal_result(struct cpat_pool *p, struct cpat_pool_job **job) {
    void *v;
    int r = cpat_chan_futex_recv(p->results, &v);
    *job = r ? NULL : v;
    return r;
}

static void steal_wait(struct cpat_pool *p) {
    for (int w = 0; w < p->workers; w++)
        pthread_join(p->threads[w], NULL);
    pthread_join(p->closer, NULL);
    steal_free(p);
}

const struct cpat_pool_ops cpat_pool_steal_ops = {
    .name = "steal",
    .kind = "variant",
    .about = "per-worker lock-free queues with work stealing; idle workers sleep on an "
             "eventcount; futex results channel",
    .family = &cpat_context_futex_ops,
    .start = steal_start,
    .submit = steal_submit,
    .close = steal_close,
    .result = steal_result,
    .wait = steal_wait,
};
