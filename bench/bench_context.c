/* context.* workloads of ../shared/WORKLOADS.md for every context family of
 * cpat_context_registry (the family's name is the <impl> of the name).
 * Each does what its twin in bench/go/context.go does, item for item;
 * where C needs more (a release for every context Go's garbage collector
 * would take, a thread where Go starts a goroutine) the comment says so.
 *
 * Contexts are table-form only (cpat_ctx_*, one API for every family), and
 * so are the few channel operations here (the family's ops->chan): their
 * costs are microseconds, an indirect call is nanoseconds.
 *
 * Nothing outlives a run: every context made is released before the run
 * returns (ctx_leak_check() fails the run if cpat_ctx_live() does not come
 * back to 0), every channel destroyed, every thread started joined. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "common/clock.h"
#include "common/spin.h"
#include "cpat/context.h"
#include "cpat/error.h"
#include "cpat/mutex.h"
#include "cpat/registry.h"
#include "cpat/waitgroup.h"
#include "run.h"

static struct run run; /* one benchmark runs at a time */

#define CTX_CHECK(call)                                                                            \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_)                                                                                   \
            cpat_die(#call, rc_);                                                                  \
    } while (0)

static void *chan_make(const struct cpat_context_ops *ops, size_t capacity) {
    void *ch;
    CTX_CHECK(ops->chan->make(&ch, capacity));
    return ch;
}

/* Every thread, after its last release: once all have got here, every
 * context the run made must be gone.  The timer thread may hold a context
 * it fired for a moment after its owner released it, so thread 0 waits up
 * to a second for the count to reach 0. */
static void ctx_leak_check(cpat_bench_state *st) {
    run_barrier_wait(&run.bar, cpat_bench_threads(st));
    if (cpat_bench_thread_index(st) != 0)
        return;
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 1000 && cpat_ctx_live() != 0; i++)
        nanosleep(&ms, NULL);
    if (cpat_ctx_live() != 0)
        cpat_bench_skip(st, "contexts left alive after the run (a leak)");
}

/* ---- context.with_timeout ---- */

/* BenchmarkWithTimeout/concurrency=40, as context.go: 40 timeouts of 1 h
 * pending (40/T made by each thread before the clock starts), and one item
 * = one with_timeout(background, 1 h) and its release (Go's cancel()),
 * done as 10 creations then 10 releases; a thread asked for n items does
 * ceil(n/10) batches. */
enum { WT_PENDING = 40, WT_BATCH = 10 };
#define HOUR_NS (3600ull * 1000000000ull)

static void with_timeout(cpat_bench_state *st, void *arg) {
    const struct cpat_context_ops *ops = arg;
    cpat_ctx *bg = cpat_ctx_background(ops), *pending[WT_PENDING], *batch[WT_BATCH];
    int me = cpat_bench_thread_index(st), npending = WT_PENDING / cpat_bench_threads(st);
    for (int j = 0; j < npending; j++)
        CTX_CHECK(cpat_ctx_with_timeout(bg, HOUR_NS, &pending[j]));
    uint64_t n = bench_shared_begin(&run, st, 0), batches = (n + WT_BATCH - 1) / WT_BATCH, b;
    for (b = 0; b < batches && run_tick(&run, me, b * WT_BATCH); b++) {
        for (int j = 0; j < WT_BATCH; j++)
            CTX_CHECK(cpat_ctx_with_timeout(bg, HOUR_NS, &batch[j]));
        for (int j = 0; j < WT_BATCH; j++)
            cpat_ctx_release(batch[j]);
    }
    bench_shared_end(&run, st, b * WT_BATCH);
    for (int j = 0; j < npending; j++)
        cpat_ctx_release(pending[j]);
    ctx_leak_check(st);
}

/* ---- context.cancel_tree/depth:D ---- */

struct tree_arg {
    const struct cpat_context_ops *ops;
    int depth;
};

/* BenchmarkCancelTree/depth=D/Root=OpenCanceler, as context.go: one item =
 * with_cancel(background) as the root, a chain of D with_cancel children
 * under it, then the root's release (Go's cancel(): cancel, detach, drop),
 * which cancels the whole chain.  Then C releases each child, deepest
 * first (Go leaves them to its garbage collector): a child is freed at its
 * release, since its only other reference was its child's.  Each thread
 * builds its own trees. */
static void cancel_tree(cpat_bench_state *st, void *arg) {
    const struct tree_arg *a = arg;
    cpat_ctx *bg = cpat_ctx_background(a->ops);
    cpat_ctx **chain = malloc((size_t)a->depth * sizeof *chain);
    if (!chain)
        cpat_die("malloc", ENOMEM);
    int me = cpat_bench_thread_index(st);
    uint64_t n = bench_shared_begin(&run, st, 0), i;
    for (i = 0; i < n && run_tick(&run, me, i); i++) {
        cpat_ctx *root, *ctx;
        CTX_CHECK(cpat_ctx_with_cancel(bg, &root));
        ctx = root;
        for (int d = 0; d < a->depth; d++) {
            CTX_CHECK(cpat_ctx_with_cancel(ctx, &chain[d]));
            ctx = chain[d];
        }
        cpat_ctx_release(root);
        for (int d = a->depth - 1; d >= 0; d--)
            cpat_ctx_release(chain[d]);
    }
    bench_shared_end(&run, st, i);
    free(chain);
    ctx_leak_check(st);
}

/* ---- context.common_parent_cancel ---- */

/* divWork of context.go (BenchmarkCommonParentCancel's local work, kept as
 * is): 100 dependent 64-bit divisions; x stays 0.  The empty asm hides x
 * from the compiler each time, so every division is done. */
static inline int64_t div_work(int64_t x) {
    for (int i = 0; i < 100; i++) {
        __asm__ __volatile__("" : "+r"(x));
        x /= x + 1;
    }
    return x;
}

static cpat_ctx *common_parent;

/* BenchmarkCommonParentCancel: one item = with_cancel of one parent shared
 * by all threads, 100 divisions, the child's release (Go's cancel()), 100
 * divisions. */
static void common_parent_cancel(cpat_bench_state *st, void *arg) {
    const struct cpat_context_ops *ops = arg;
    int me = cpat_bench_thread_index(st);
    if (me == 0)
        CTX_CHECK(cpat_ctx_with_cancel(cpat_ctx_background(ops), &common_parent));
    uint64_t n = bench_shared_begin(&run, st, 0), i;
    int64_t x = 0;
    cpat_ctx *parent = common_parent;
    for (i = 0; i < n && run_tick(&run, me, i); i++) {
        cpat_ctx *child;
        CTX_CHECK(cpat_ctx_with_cancel(parent, &child));
        x = div_work(x);
        cpat_ctx_release(child);
        x = div_work(x);
    }
    bench_shared_end(&run, st, i);
    bench_keep(x);
    if (me == 0) /* the others are past run_finish's barrier: done with it */
        cpat_ctx_release(common_parent);
    ctx_leak_check(st);
}

/* ---- context.cancel_latency ---- */

/* One canceller/waiter pair: threads 2p (canceller) and 2p+1 (waiter). */
static struct cl_pair {
    alignas(128) void *ctxs; /* capacity 0: the canceller hands each context over */
    void *acks;              /* capacity 0: the waiter's "recorded" */
    alignas(128) _Atomic bool ready;
    _Atomic uint64_t cancelled; /* cpat_now_ns() just before cancel() */
} cl_pairs[RUN_MAX_THREADS / 2];
static void *cl_never; /* capacity 0, never sent on; shared, as Go's `never` */

/* As context.go: max(1, T/2) pairs (with an odd T the last thread idles).
 * Per item the canceller makes with_cancel(background) and hands it to its
 * waiter, which announces itself and blocks in cpat_ctx_recv on the never
 * ready channel; the canceller spins until the announcement (yielding after
 * 64 polls, Go's spinWait), yields once so the waiter can park
 * (runtime.Gosched()), stamps the time and cancels; the waiter records its
 * return minus the stamp and acknowledges; the canceller then releases the
 * context (the waiter used it only within the owner's reference: it is
 * done with it before it acknowledges).  One item = one such cycle,
 * counted by the canceller.  After its last item the canceller closes the
 * hand-over channel, which ends its waiter.
 *
 * op:lock and op:wait (no Go twin) time the other ctx-aware waits the same
 * way: the waiter blocks in cpat_ctx_mutex_lock on a lock its canceller
 * holds (the family's mutex: pthread, spin for atomic, futex), or in
 * cpat_ctx_wg_wait on a group its canceller keeps at 1 (the family's
 * waitgroup). */
enum cl_op { CL_RECV, CL_LOCK, CL_WAIT };
struct cl_arg {
    const struct cpat_context_ops *ops;
    enum cl_op op;
    const struct cpat_mutex_ops *mops;
    const struct cpat_waitgroup_ops *wops;
};
static void *cl_objs[RUN_MAX_THREADS / 2]; /* per pair: the mutex or the group */

static int cl_block(const struct cl_arg *a, cpat_ctx *ctx, void *obj) {
    void *v;
    switch (a->op) {
    case CL_LOCK:
        return cpat_ctx_mutex_lock(ctx, a->mops, obj);
    case CL_WAIT:
        return cpat_ctx_wg_wait(ctx, a->wops, obj);
    default:
        return cpat_ctx_recv(ctx, cl_never, &v);
    }
}

static void cancel_latency(cpat_bench_state *st, void *arg) {
    const struct cl_arg *a = arg;
    const struct cpat_context_ops *ops = a->ops;
    int me = cpat_bench_thread_index(st), threads = cpat_bench_threads(st);
    int npairs = threads / 2 < 1 ? 1 : threads / 2;
    struct cl_pair *p = &cl_pairs[me / 2];
    if (me == 0) {
        cl_never = chan_make(ops, 0);
        for (int k = 0; k < npairs; k++) {
            cl_pairs[k].ctxs = chan_make(ops, 0);
            cl_pairs[k].acks = chan_make(ops, 0);
            atomic_store_explicit(&cl_pairs[k].ready, false, memory_order_relaxed);
            if (a->op != CL_RECV) {
                size_t size = a->op == CL_LOCK ? a->mops->size : a->wops->size;
                size_t align = a->op == CL_LOCK ? a->mops->align : a->wops->align;
                cl_objs[k] = cpat_obj_new(size, align);
                CTX_CHECK(a->op == CL_LOCK ? a->mops->init(cl_objs[k]) : a->wops->init(cl_objs[k]));
            }
        }
    }
    uint64_t n = bench_shared_begin(&run, st, RUN_LATENCY), done = 0;
    int bad = 0;
    void *v;
    if (me / 2 >= npairs) {
        /* the odd thread out */
    } else if (me % 2 == 0) { /* canceller */
        for (; done < n && run_tick(&run, me, done); done++) {
            cpat_ctx *ctx;
            CTX_CHECK(cpat_ctx_with_cancel(cpat_ctx_background(ops), &ctx));
            if (a->op == CL_LOCK)
                a->mops->lock(cl_objs[me / 2]);
            else if (a->op == CL_WAIT)
                a->wops->add(cl_objs[me / 2], 1);
            bad |= ops->chan->send(p->ctxs, ctx);
            /* Acquire pairs with the waiter's release store of ready. */
            for (uint32_t k = 0; !atomic_load_explicit(&p->ready, memory_order_acquire); k++)
                cpat_poll_wait(k, 64);
            atomic_store_explicit(&p->ready, false, memory_order_relaxed);
            sched_yield();
            atomic_store_explicit(&p->cancelled, cpat_now_ns(), memory_order_relaxed);
            cpat_ctx_cancel(ctx); /* closing Done publishes the stamp to the waiter */
            bad |= ops->chan->recv(p->acks, &v);
            if (a->op == CL_LOCK)
                bad |= a->mops->unlock(cl_objs[me / 2]);
            else if (a->op == CL_WAIT)
                a->wops->done(cl_objs[me / 2]); /* its waiter has left: nobody to wake */
            cpat_ctx_release(ctx);
        }
        ops->chan->close(p->ctxs);
    } else { /* waiter */
        struct hist *h = run.slot[me].hist;
        while (ops->chan->recv(p->ctxs, &v) == 0) { /* EPIPE: the canceller is done */
            cpat_ctx *ctx = v;
            atomic_store_explicit(&p->ready, true, memory_order_release);
            bad |= cl_block(a, ctx, cl_objs[me / 2]) != ECANCELED;
            uint64_t now = cpat_now_ns();
            uint64_t t0 = atomic_load_explicit(&p->cancelled, memory_order_relaxed);
            hist_add(h, now > t0 ? now - t0 : 0);
            bad |= ops->chan->send(p->acks, NULL);
        }
    }
    bench_shared_end(&run, st, me % 2 == 0 ? done : 0);
    if (me == 0) {
        for (int k = 0; k < npairs; k++) {
            ops->chan->destroy(cl_pairs[k].ctxs);
            ops->chan->destroy(cl_pairs[k].acks);
            if (a->op != CL_RECV) {
                if (a->op == CL_LOCK)
                    a->mops->destroy(cl_objs[k]);
                else
                    a->wops->destroy(cl_objs[k]);
                free(cl_objs[k]);
            }
        }
        ops->chan->destroy(cl_never);
    }
    if (bad)
        cpat_bench_skip(st, "a hand-over failed or the waiter did not end with ECANCELED");
    ctx_leak_check(st);
}

/* ---- context.deadline_overshoot/wait:{op,done} ---- */

#define OVERSHOOT_TIMEOUT_NS 100000 /* context.go's overshootTimeout: 100 us */

struct overshoot_arg {
    const struct cpat_context_ops *ops;
    bool op; /* wait:op (cpat_ctx_recv) rather than wait:done (recv on Done) */
};

/* One item = with_deadline(background, now + 100 us), a wait for it to end,
 * the latency sample return time - deadline, and the release.  Each thread
 * does its own.  How the thread waits:
 *   wait:done  a plain recv on cpat_ctx_done(): it returns when the timer
 *              thread closes Done -- the timer thread's path alone.  This
 *              is context.go's twin (<-ctx.Done()).
 *   wait:op    cpat_ctx_recv on an empty channel of the thread's own: a
 *              select of the channel and Done with the deadline as its own
 *              timed wait, so it returns at whichever of the timer thread's
 *              close and its own timeout comes first.
 * limits.timed_wait is the floor under both. */
static void deadline_overshoot(cpat_bench_state *st, void *arg) {
    const struct overshoot_arg *a = arg;
    const struct cpat_context_ops *ops = a->ops;
    cpat_ctx *bg = cpat_ctx_background(ops);
    int me = cpat_bench_thread_index(st), early = 0, wrong = 0;
    void *never = chan_make(ops, 0), *v;
    uint64_t n = bench_shared_begin(&run, st, RUN_LATENCY), i;
    struct hist *h = run.slot[me].hist;
    for (i = 0; i < n && run_tick(&run, me, i); i++) {
        uint64_t deadline = cpat_now_ns() + OVERSHOOT_TIMEOUT_NS;
        cpat_ctx *ctx;
        CTX_CHECK(cpat_ctx_with_deadline(bg, deadline, &ctx));
        if (a->op)
            wrong |= cpat_ctx_recv(ctx, never, &v) != ETIMEDOUT;
        else
            wrong |= ops->chan->recv(cpat_ctx_done(ctx), &v) != EPIPE;
        uint64_t now = cpat_now_ns();
        early |= now < deadline;
        hist_add(h, now > deadline ? now - deadline : 0);
        cpat_ctx_release(ctx);
    }
    bench_shared_end(&run, st, i);
    ops->chan->destroy(never);
    if (early)
        cpat_bench_skip(st, "a wait returned before its deadline");
    if (wrong)
        cpat_bench_skip(st, a->op ? "cpat_ctx_recv did not end with ETIMEDOUT"
                                  : "recv on Done did not end with EPIPE (closed)");
    ctx_leak_check(st);
}

/* ---- context.process_with_timeout/work_us:W/timeout_us:T ---- */

struct pwt_arg {
    const struct cpat_context_ops *ops;
    int work_us, timeout_us;
};

/* One call's result channel (Go's make(chan uint64, 1)), shared by the
 * caller and the worker: whichever of them is done with it second frees it
 * (Go's garbage collector). */
struct pwt_job {
    _Atomic int refs;
    void *result; /* capacity 1: the worker's one send never blocks */
    uint64_t units;
    const struct cpat_chan_ops *chan;
};

static void pwt_job_drop(struct pwt_job *j) {
    /* acq_rel: the other side's last use of the channel happens-before the
     * destroy. */
    if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) == 1) {
        j->chan->destroy(j->result);
        free(j);
    }
}

/* Each calling thread's worker: the thread its `go func()` runs on. */
static struct pwt_worker {
    alignas(128) pthread_t thread;
    void *jobs; /* capacity 0 */
    const struct cpat_chan_ops *chan;
    uint64_t cpu_ns, csw; /* its CPU time and context switches from its first job */
} pwt_workers[RUN_MAX_THREADS];

static void *pwt_worker_main(void *arg) {
    struct pwt_worker *w = arg;
    /* Not bound to its caller's PU (pthread_create copied that binding):
     * the kernel places it, on any PU the process may use (it keeps the
     * intersection with the allowed set), as Go's scheduler may run a new
     * goroutine on any P.  On the caller's PU a worker deep in W us of work
     * would hold off a caller whose timeout has fired -- for good, with
     * the atomic family, whose caller yields but never sleeps. */
    cpu_set_t any;
    CPU_ZERO(&any);
    for (int c = 0; c < CPU_SETSIZE; c++)
        CPU_SET(c, &any);
    sched_setaffinity(0, sizeof any, &any);
    void *v;
    bool first = true;
    w->cpu_ns = w->csw = 0;
    while (w->chan->recv(w->jobs, &v) == 0) { /* EPIPE: its caller is done */
        struct pwt_job *j = v;
        if (first) { /* before it, it waited for the clock to start */
            w->cpu_ns = run_cpu_ns(false);
            w->csw = run_csw(false);
            first = false;
        }
        uint64_t acc = 0;
        for (uint64_t u = 0; u < j->units; u++)
            acc = work(work_iters_100ns, acc);
        w->chan->send(j->result, (void *)(uintptr_t)acc);
        pwt_job_drop(j);
    }
    if (!first) {
        w->cpu_ns = run_cpu_ns(false) - w->cpu_ns;
        w->csw = run_csw(false) - w->csw;
    }
    return NULL;
}

static _Atomic uint64_t pwt_timeouts;

/* The seed's processWithTimeout (context.go's), one item = one call: a
 * result channel of capacity 1 (Go's make(chan uint64, 1)), W us of work on
 * another thread that then sends its result there, with_timeout(background,
 * T), and cpat_ctx_recv on the result channel: the result, or ETIMEDOUT if
 * the timeout comes first; then the release (Go's defer cancel()).  The
 * counter `timeouts` is the fraction of calls the timeout won.
 *
 * Where Go starts a goroutine per call, each calling thread here has one
 * worker thread, started before the clock and placed by the kernel (see
 * pwt_worker_main), and `go` is handing it the job over a channel of
 * capacity 0.  Go's `go` never waits; this hand-over
 * waits while the worker is still busy with an earlier call's abandoned
 * work.  With W < T it never is.  With W > T every call first waits out
 * the previous one's work (so at most one abandoned work is ever pending,
 * and the figure is bound by the work, as Go's would be by its Ps once
 * abandoned goroutines pile up); that is why the timeout starts after the
 * hand-over, not before it as in Go, where the order makes no difference:
 * each call's race is then T us long, as in Go.  cpu_per_op counts the
 * workers' CPU time too.  The caller closes the job channel and joins its
 * worker before its clock stops, so the last abandoned work is inside the
 * run. */
static void process_with_timeout(cpat_bench_state *st, void *arg) {
    const struct pwt_arg *a = arg;
    const struct cpat_context_ops *ops = a->ops;
    cpat_ctx *bg = cpat_ctx_background(ops);
    int me = cpat_bench_thread_index(st), bad = 0;
    struct pwt_worker *w = &pwt_workers[me];
    w->jobs = chan_make(ops, 0);
    w->chan = ops->chan;
    CTX_CHECK(pthread_create(&w->thread, NULL, pwt_worker_main, w));
    if (me == 0)
        atomic_store_explicit(&pwt_timeouts, 0, memory_order_relaxed);
    uint64_t n = bench_shared_begin(&run, st, 0), i, acc = 0, timeouts = 0;
    const uint64_t timeout_ns = (uint64_t)a->timeout_us * 1000;
    const uint64_t units = (uint64_t)a->work_us * 10; /* of ~100 ns */
    for (i = 0; i < n && run_tick(&run, me, i); i++) {
        struct pwt_job *j = malloc(sizeof *j);
        if (!j)
            cpat_die("malloc", ENOMEM);
        atomic_init(&j->refs, 2);
        j->result = chan_make(ops, 1);
        j->units = units;
        j->chan = ops->chan;
        bad |= ops->chan->send(w->jobs, j); /* go func() { ... }() */
        cpat_ctx *ctx;
        CTX_CHECK(cpat_ctx_with_timeout(bg, timeout_ns, &ctx));
        void *v;
        int r = cpat_ctx_recv(ctx, j->result, &v);
        if (r == 0)
            acc += (uint64_t)(uintptr_t)v;
        else if (r == ETIMEDOUT)
            timeouts++;
        else
            bad = 1;
        pwt_job_drop(j);
        cpat_ctx_release(ctx);
    }
    ops->chan->close(w->jobs);
    pthread_join(w->thread, NULL);
    atomic_fetch_add_explicit(&pwt_timeouts, timeouts, memory_order_relaxed);
    run_stop(&run, me, i);
    run.slot[me].cpu_ns += w->cpu_ns; /* read by thread 0 after run_finish's barrier */
    run.slot[me].csw += w->csw;
    run_finish(&run, st);
    bench_keep(acc);
    ops->chan->destroy(w->jobs);
    if (me == 0) { /* after run_finish: every thread has added its timeouts */
        uint64_t ops_done = 0;
        for (int k = 0; k < cpat_bench_threads(st); k++)
            ops_done += run.slot[k].ops;
        if (ops_done)
            cpat_bench_counter(st, "timeouts",
                               (double)atomic_load_explicit(&pwt_timeouts, memory_order_relaxed) /
                                   (double)ops_done);
    }
    if (bad)
        cpat_bench_skip(st, "a hand-over failed or a call ended with neither result nor ETIMEDOUT");
    ctx_leak_check(st);
}

/* ---- registration ---- */

enum { MAX_FAMILIES = 8 };
static const int depths[] = {1, 10, 100, 1000};
/* context.go's (W = 10 us against T = 1 ms: the work wins), then the same
 * two figures swapped (the timeout wins). */
static const int pwt_params[][2] = {{10, 1000}, {1000, 10}};

/* Workload by workload.  Thread counts: the scaling set (1..2xPUs), except
 * cancel_latency: the pairs set (2..), as it needs a canceller and a
 * waiter. */
void register_context(const struct thread_sets *ts) {
    static struct tree_arg trees[MAX_FAMILIES][sizeof depths / sizeof depths[0]];
    static struct overshoot_arg overshoots[MAX_FAMILIES][2];
    static struct pwt_arg pwts[MAX_FAMILIES][sizeof pwt_params / sizeof pwt_params[0]];
    const struct cpat_context_ops *const *fam = cpat_context_registry;
    size_t nfam = 0;
    while (fam[nfam])
        nfam++;
    if (nfam > MAX_FAMILIES)
        cpat_die("register_context: more context families than MAX_FAMILIES", EINVAL);
    for (size_t f = 0; f < nfam; f++)
        bench_reg(with_timeout, (void *)fam[f], ts->scaling, ts->nscaling,
                  "context.with_timeout/%s", fam[f]->name);
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++)
        for (size_t f = 0; f < nfam; f++) {
            trees[f][d] = (struct tree_arg){fam[f], depths[d]};
            bench_reg(cancel_tree, &trees[f][d], ts->scaling, ts->nscaling,
                      "context.cancel_tree/%s/depth:%d", fam[f]->name, depths[d]);
        }
    for (size_t f = 0; f < nfam; f++)
        bench_reg(common_parent_cancel, (void *)fam[f], ts->scaling, ts->nscaling,
                  "context.common_parent_cancel/%s", fam[f]->name);
    static struct cl_arg cls[MAX_FAMILIES][3];
    static const char *const cl_names[] = {"", "/op:lock", "/op:wait"};
    for (int k = 0; k < 3; k++)
        for (size_t f = 0; f < nfam && ts->npairs > 0; f++) {
            const char *mname = strcmp(fam[f]->name, "atomic") == 0 ? "spin" : fam[f]->name;
            cls[f][k] = (struct cl_arg){fam[f], (enum cl_op)k, cpat_mutex_find(mname),
                                        cpat_waitgroup_find(fam[f]->name)};
            if ((k == CL_LOCK && (!cls[f][k].mops || !cls[f][k].mops->lock_until)) ||
                (k == CL_WAIT && !cls[f][k].wops))
                continue;
            bench_reg(cancel_latency, &cls[f][k], ts->pairs, ts->npairs,
                      "context.cancel_latency/%s%s", fam[f]->name, cl_names[k]);
        }
    for (int k = 0; k < 2; k++)
        for (size_t f = 0; f < nfam; f++) {
            overshoots[f][k] = (struct overshoot_arg){fam[f], k == 0};
            bench_reg(deadline_overshoot, &overshoots[f][k], ts->scaling, ts->nscaling,
                      "context.deadline_overshoot/%s/wait:%s", fam[f]->name,
                      k == 0 ? "op" : "done");
        }
    for (size_t k = 0; k < sizeof pwt_params / sizeof pwt_params[0]; k++)
        for (size_t f = 0; f < nfam; f++) {
            pwts[f][k] = (struct pwt_arg){fam[f], pwt_params[k][0], pwt_params[k][1]};
            bench_reg(process_with_timeout, &pwts[f][k], ts->scaling, ts->nscaling,
                      "context.process_with_timeout/%s/work_us:%d/timeout_us:%d", fam[f]->name,
                      pwt_params[k][0], pwt_params[k][1]);
        }
}
