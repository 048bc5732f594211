/* pool.* and fan.* workloads of ../shared/WORKLOADS.md for every pool of
 * cpat_pool_registry and every fan of cpat_fan_registry (the variant's
 * name is the <impl> of the name).  pool.throughput, pool.latency and
 * fan.pipeline do what their twins in bench/go/pool.go do, item for item;
 * pool.cancel has no Go twin.
 *
 * Threads.  Go runs each of these with b.T goroutines of the pattern (T
 * pool workers; T fan-out workers and T fan-in forwarders), plus a
 * submitter (a source) goroutine, plus the benchmark goroutine that takes
 * the results (the sink), under GOMAXPROCS = T.  Here, at threads:T,
 * benchmark thread 0 is that benchmark goroutine: it starts the pool (the
 * fans) with T workers and, where Go has one, a submitter (source) thread
 * of its own, and takes every result.  The pool's threads are made by the
 * library, and pthread_create copies its caller's binding: so thread 0
 * first widens its own binding to the T PUs of the run's threads
 * (drv_confine), and everything it starts -- and thread 0 itself -- runs
 * on those T PUs, as Go's goroutines run on T Ps.  Benchmark threads
 * 1..T-1 only hold their PUs' place in the name: they sleep in the
 * closing barrier, inside the timed region, until thread 0 is done.
 * pool.cancel (no Go twin) is the exception: its canceller keeps a PU of
 * its own (see there).
 *
 * Counters: cpu_per_op and csw_per_op are the whole process's (thread 0
 * takes them around its work): the pool's threads do the work, not the
 * benchmark threads.
 *
 * The pool API is table-form only (ops->start, ...), and so are the fans'
 * channel operations (ops->chan): a job costs a hand-off through two
 * channels, an indirect call is nanoseconds.
 *
 * Nothing outlives a run: every pool is waited for, every fan joined,
 * every thread started joined, every channel and context destroyed
 * (drv_leak_check fails the run if cpat_ctx_live() does not come back). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "common/clock.h"
#include "common/spin.h"
#include "cpat/context.h"
#include "cpat/error.h"
#include "cpat/pool.h"
#include "cpat/registry.h"
#include "pin.h"
#include "run.h"

static struct run run; /* one benchmark runs at a time */

#define POOL_QUEUE 100 /* pool.go's poolQueue: capacity of the jobs and results channels */

#define DRV_CHECK(call)                                                                            \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_)                                                                                   \
            cpat_die(#call, rc_);                                                                  \
    } while (0)

/* ---- the driver frame: thread 0 drives, threads 1..T-1 wait ---- */

static struct {
    cpu_set_t saved;   /* thread 0's binding before drv_confine */
    bool confined;     /* drv_confine changed it */
    uint64_t cpu0;     /* process CPU ns at the start */
    uint64_t csw0;     /* process context switches at the start */
    uint64_t deadline; /* the time cap (run.h) */
    long live0;        /* contexts alive before the run */
} drv;

/* Thread 0: binds itself to the PUs of the run's threads first..first+T-1
 * (wrapping, as pin.h), so that the threads it starts (which copy its
 * binding) share those T PUs, as Go's goroutines share GOMAXPROCS = T Ps.
 * With --pin none nothing is bound. */
static void drv_confine(int first, int threads) {
    drv.confined = false;
    if (pin_pu_of(0) < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < threads && i < pin_npus(); i++)
        CPU_SET(pin_pu_of(first + i), &set);
    if (sched_getaffinity(0, sizeof drv.saved, &drv.saved))
        cpat_die("sched_getaffinity", errno);
    if (sched_setaffinity(0, sizeof set, &set))
        cpat_die("sched_setaffinity", errno);
    drv.confined = true;
}

static void drv_unconfine(void) {
    if (drv.confined && sched_setaffinity(0, sizeof drv.saved, &drv.saved))
        cpat_die("sched_setaffinity", errno);
    drv.confined = false;
}

/* Every thread, after thread 0's set-up: starts the clock.  Thread 0
 * returns true with *n, the ops to do: Google Benchmark's count times the
 * threads, as its iterations are summed over the threads (so its time per
 * iteration is the time per op, and Go's b.N is the ops of the whole run).
 * The others wait in the closing barrier (their run is over when thread
 * 0's is) and return false.  confine: thread 0 and what it starts run on
 * the run's T PUs (drv_confine). */
static bool drv_begin(cpat_bench_state *st, unsigned what, bool confine, uint64_t *n) {
    int me = cpat_bench_thread_index(st);
    if (me == 0)
        drv.live0 = cpat_ctx_live();
    *n = bench_shared_begin(&run, st, what);
    if (me != 0) {
        run_stop(&run, me, 0);
        /* Counted in thread 0's process-wide figures. */
        run.slot[me].cpu_ns = run.slot[me].csw = 0;
        run_finish(&run, st);
        return false;
    }
    drv.cpu0 = run_cpu_ns(true);
    drv.csw0 = run_csw(true);
    drv.deadline = run.slot[0].deadline_ns;
    *n *= (uint64_t)cpat_bench_threads(st);
    if (confine)
        drv_confine(0, cpat_bench_threads(st));
    return true;
}

/* Thread 0, when everything it started has ended: stops the clock with
 * `ops` items. */
static void drv_end(cpat_bench_state *st, uint64_t ops, bool capped) {
    drv_unconfine();
    run_stop(&run, 0, ops);
    run.slot[0].cpu_ns = run_cpu_ns(true) - drv.cpu0;
    run.slot[0].csw = run_csw(true) - drv.csw0;
    run.slot[0].capped |= capped;
    run_finish(&run, st);
}

/* Thread 0, after drv_end: every context made in the run is gone. */
static void drv_leak_check(cpat_bench_state *st) {
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 1000 && cpat_ctx_live() != drv.live0; i++)
        nanosleep(&ms, NULL);
    if (cpat_ctx_live() != drv.live0)
        cpat_bench_skip(st, "contexts left alive after the run (a leak)");
}

/* Has the time cap passed?  Looked at every 256 ops, as run_tick. */
static inline bool drv_capped(uint64_t done) {
    return (done & 255) == 0 && done && cpat_now_ns() >= drv.deadline;
}

/* ---- jobs ---- */

/* pool.go's job and result in one: the pool carries pointers, so a job
 * lives in the caller's memory until its result is taken.  One line each:
 * workers write fate and err, and jobs done side by side must not share. */
struct pjob {
    alignas(64) struct cpat_pool_job head; /* first: a job pointer is a pjob pointer */
    uint64_t units;                        /* ~100 ns of work each */
    uint64_t created;                      /* pool.latency: cpat_now_ns() at submit */
    uint64_t sum;                          /* what the work returned (pool.go's result.sum) */
    _Atomic int busy;                      /* pool.throughput: submitted, result not yet taken */
};

static struct pjob *pjobs_new(size_t n) {
    struct pjob *j = aligned_alloc(alignof(struct pjob), n * sizeof *j);
    if (!j)
        cpat_die("aligned_alloc", ENOMEM);
    for (size_t i = 0; i < n; i++) {
        j[i] = (struct pjob){.units = 0};
        atomic_init(&j[i].busy, 0);
    }
    return j;
}

/* pool.go's worker body: units x ~100 ns of work (work100 each). */
static int pool_job(cpat_ctx *ctx, struct cpat_pool_job *job, void *arg) {
    (void)ctx;
    (void)arg;
    struct pjob *j = (struct pjob *)job;
    uint64_t acc = 0;
    for (uint64_t u = 0; u < j->units; u++)
        acc = work(work_iters_100ns, acc);
    j->sum = acc;
    return 0;
}

/* What a registration points at: a variant and a parameter. */
struct pool_param {
    const struct cpat_pool_ops *pool;
    const struct cpat_fan_ops *fan;
    uint64_t units; /* pool.throughput, pool.latency: ~100 ns units per job */
};

/* ---- pool.throughput/job_ns:J ---- */

/* The submitter goroutine of poolThroughput: submits n jobs, then closes
 * the pool.  Job i takes slot i % nslots once the result of the job before
 * it in that slot has been taken (busy == 0): with far more slots than
 * the pool holds, it never waits. */
static struct {
    alignas(128) const struct cpat_pool_ops *ops;
    struct cpat_pool *p;
    struct pjob *jobs;
    size_t mask; /* slots - 1 */
    uint64_t n, units;
    uint64_t submitted; /* written by the submitter before it ends */
    int err;            /* a submit that failed */
    bool capped;
} thr;

static void *thr_submitter(void *arg) {
    (void)arg;
    uint64_t i;
    for (i = 0; i < thr.n; i++) {
        if (drv_capped(i)) {
            thr.capped = true;
            break;
        }
        struct pjob *j = &thr.jobs[i & thr.mask];
        /* Acquire pairs with the taker's release: its reads of the job's
         * last use (and the pool's writes it saw) come before our writes. */
        for (uint32_t k = 0; atomic_load_explicit(&j->busy, memory_order_acquire); k++)
            cpat_poll_wait(k, 64);
        atomic_store_explicit(&j->busy, 1, memory_order_relaxed);
        j->units = thr.units;
        int e = thr.ops->submit(thr.p, &j->head); /* p.jobs <- job{...} */
        if (e) {
            thr.err = e;
            break;
        }
    }
    thr.submitted = i;
    thr.ops->close(thr.p); /* close(p.jobs) */
    return NULL;
}

/* One op = one job from submit to its result taken; pool start and stop
 * are inside the measured time (pool.go's poolThroughput). */
static void pool_throughput(cpat_bench_state *st, void *arg) {
    const struct pool_param *pp = arg;
    int threads = cpat_bench_threads(st);
    size_t slots = 1024;
    while (slots < 4 * (2 * POOL_QUEUE + (size_t)threads + 2))
        slots *= 2;
    if (cpat_bench_thread_index(st) == 0)
        thr.jobs = pjobs_new(slots);
    uint64_t n;
    if (!drv_begin(st, 0, true, &n))
        return;
    thr.ops = pp->pool;
    thr.mask = slots - 1;
    thr.n = n;
    thr.units = pp->units;
    thr.submitted = 0;
    thr.err = 0;
    thr.capped = false;
    DRV_CHECK(thr.ops->start(&thr.p, &(struct cpat_pool_config){
                                         .workers = threads, .fn = pool_job, .queue = POOL_QUEUE}));
    pthread_t submitter;
    DRV_CHECK(pthread_create(&submitter, NULL, thr_submitter, NULL));
    uint64_t taken = 0, acc = 0;
    int bad = 0;
    struct cpat_pool_job *job;
    while (thr.ops->result(thr.p, &job) == 0) { /* for r := range p.results */
        struct pjob *j = (struct pjob *)job;
        bad |= job->fate != CPAT_JOB_DONE || job->err;
        acc += j->sum;
        /* Release: pairs with the submitter's acquire before it reuses j. */
        atomic_store_explicit(&j->busy, 0, memory_order_release);
        taken++;
    }
    DRV_CHECK(pthread_join(submitter, NULL));
    thr.ops->wait(thr.p);
    drv_end(st, taken, thr.capped);
    bench_keep(acc);
    free(thr.jobs);
    if (bad || thr.err || taken != thr.submitted)
        cpat_bench_skip(st, "pool.throughput: a job failed or was lost");
    drv_leak_check(st);
}

/* ---- pool.latency/job_ns:1000 ---- */

/* T workers and T jobs in flight (one per worker): submit T jobs, then a
 * new one for every result taken; latency = submit to result taken
 * (pool.go's poolLatency).  One op = one job. */
static void pool_latency(cpat_bench_state *st, void *arg) {
    const struct pool_param *pp = arg;
    const struct cpat_pool_ops *ops = pp->pool;
    int threads = cpat_bench_threads(st);
    struct pjob *jobs = NULL;
    if (cpat_bench_thread_index(st) == 0)
        jobs = pjobs_new((size_t)threads);
    uint64_t n;
    if (!drv_begin(st, RUN_LATENCY, true, &n))
        return;
    struct cpat_pool *p;
    DRV_CHECK(ops->start(
        &p, &(struct cpat_pool_config){.workers = threads, .fn = pool_job, .queue = POOL_QUEUE}));
    struct hist *h = run.slot[0].hist;
    uint64_t submitted = 0, taken = 0;
    int bad = 0;
    bool capped = false;
#define LAT_SUBMIT(j)                                                                              \
    do {                                                                                           \
        (j)->units = pp->units;                                                                    \
        (j)->created = cpat_now_ns();                                                              \
        bad |= ops->submit(p, &(j)->head);                                                         \
        submitted++;                                                                               \
    } while (0)
    while (submitted < n && submitted < (uint64_t)threads)
        LAT_SUBMIT(&jobs[submitted]);
    struct cpat_pool_job *job;
    for (; taken < submitted && !bad; taken++) {
        if (ops->result(p, &job)) {
            bad = 1;
            break;
        }
        uint64_t now = cpat_now_ns();
        struct pjob *j = (struct pjob *)job;
        hist_add(h, now > j->created ? now - j->created : 0);
        bad |= job->fate != CPAT_JOB_DONE || job->err;
        capped |= drv_capped(submitted);
        if (submitted < n && !capped)
            LAT_SUBMIT(j); /* the job just taken is free */
    }
#undef LAT_SUBMIT
    ops->close(p);
    while (ops->result(p, &job) == 0) /* for range p.results {} */
        bad = 1;                      /* every job was taken above */
    ops->wait(p);
    drv_end(st, taken, capped);
    free(jobs);
    if (bad)
        cpat_bench_skip(st, "pool.latency: a job failed or was lost");
    drv_leak_check(st);
}

/* ---- pool.cancel ---- */

/* The jobs of one cycle: each counts itself in, waits until all T have
 * (so every worker is busy in a job when the cancel comes), then does
 * 10 us of work in slices of ~1 us, returning the context's Err at the
 * first slice boundary after the cancel. */
#define CANCEL_SLICES 10 /* of ~1 us each */
static struct {
    alignas(128) _Atomic int started;
    int workers;
} cnc;

static int cancel_job(cpat_ctx *ctx, struct cpat_pool_job *job, void *arg) {
    (void)arg;
    struct pjob *j = (struct pjob *)job;
    int e;
    atomic_fetch_add_explicit(&cnc.started, 1, memory_order_relaxed);
    for (uint32_t k = 0; atomic_load_explicit(&cnc.started, memory_order_relaxed) < cnc.workers;
         k++) {
        if ((e = cpat_ctx_err(ctx)) != 0)
            return e;
        cpat_poll_wait(k, 100);
    }
    uint64_t acc = 0;
    for (int s = 0; s < CANCEL_SLICES; s++) {
        if ((e = cpat_ctx_err(ctx)) != 0) {
            j->sum = acc;
            return e;
        }
        acc = work(10 * work_iters_100ns, acc);
    }
    j->sum = acc;
    return 0;
}

/* One op = one cycle: a context, a pool of T workers each busy in a job of
 * 10 us, cancel() of the context, every result taken, wait(); latency =
 * cancel() called to wait() returned.
 *
 * The canceller (thread 0) must run while the workers are busy: on a PU
 * it shares with a worker it gets the CPU only when that worker's job
 * ends (nothing preempts within 10 us; Go's scheduler neither), and the
 * figure would be the job's remainder.  So it stays bound to its own PU
 * (thread 0's) and the pool runs on the PUs of threads 1..T: while T <
 * PUs the canceller has a PU to itself.  Beyond that it shares one; the
 * counter `uncancelled`, the share of jobs that ran to their end all the
 * same, says how often the cancel came too late. */
static void pool_cancel(cpat_bench_state *st, void *arg) {
    const struct pool_param *pp = arg;
    const struct cpat_pool_ops *ops = pp->pool;
    int threads = cpat_bench_threads(st);
    struct pjob *jobs = NULL;
    if (cpat_bench_thread_index(st) == 0)
        jobs = pjobs_new((size_t)threads);
    uint64_t n;
    if (!drv_begin(st, RUN_LATENCY, false, &n))
        return;
    struct hist *h = run.slot[0].hist;
    uint64_t cycles, finished = 0, jobs_out = 0;
    int bad = 0;
    bool capped = false;
    cnc.workers = threads;
    for (cycles = 0; cycles < n && !bad; cycles++) {
        if (cycles && cpat_now_ns() >= drv.deadline) {
            capped = true;
            break;
        }
        cpat_ctx *ctx;
        DRV_CHECK(cpat_ctx_with_cancel(cpat_ctx_background(ops->family), &ctx));
        atomic_store_explicit(&cnc.started, 0, memory_order_relaxed);
        struct cpat_pool *p;
        drv_confine(1, threads); /* the pool on the PUs of threads 1..T */
        DRV_CHECK(ops->start(
            &p, &(struct cpat_pool_config){
                    .workers = threads, .fn = cancel_job, .queue = POOL_QUEUE, .ctx = ctx}));
        drv_unconfine(); /* the canceller back on its own */
        for (int i = 0; i < threads; i++)
            bad |= ops->submit(p, &jobs[i].head);
        for (uint32_t k = 0;
             !bad && atomic_load_explicit(&cnc.started, memory_order_relaxed) < threads; k++)
            cpat_poll_wait(k, 100);
        uint64_t t0 = cpat_now_ns();
        cpat_ctx_cancel(ctx);
        struct cpat_pool_job *job;
        int out = 0;
        while (ops->result(p, &job) == 0) {
            out++;
            if (job->fate == CPAT_JOB_DONE && job->err == 0)
                finished++;
            else if (job->fate != CPAT_JOB_DONE || job->err != ECANCELED)
                bad = 1; /* every job was running: none may come out unrun */
        }
        ops->wait(p);
        uint64_t t1 = cpat_now_ns();
        cpat_ctx_release(ctx);
        hist_add(h, t1 - t0);
        jobs_out += (uint64_t)out;
        bad |= out != threads;
    }
    drv_end(st, cycles, capped);
    free(jobs);
    if (jobs_out)
        cpat_bench_counter(st, "uncancelled", (double)finished / (double)jobs_out);
    if (bad)
        cpat_bench_skip(st, "pool.cancel: a job was lost or came out unrun");
    drv_leak_check(st);
}

/* ---- fan.pipeline ---- */

/* fanOut's worker body: out <- v * v. */
static void *fan_square(void *arg, void *v) {
    (void)arg;
    uintptr_t x = (uintptr_t)v;
    return (void *)(x * x);
}

/* The source goroutine of fanPipeline: sends 0..n-1, then closes. */
static struct {
    alignas(128) const struct cpat_chan_ops *chan;
    void *src;
    uint64_t n;
    uint64_t sent; /* written by the source before it ends */
    bool capped;
} fsrc;

static void *fan_source(void *arg) {
    (void)arg;
    uint64_t i;
    for (i = 0; i < fsrc.n; i++) {
        if (drv_capped(i)) {
            fsrc.capped = true;
            break;
        }
        fsrc.chan->send(fsrc.src, (void *)(uintptr_t)i);
    }
    fsrc.sent = i;
    fsrc.chan->close(fsrc.src);
    return NULL;
}

/* source -> fan_out(T) -> fan_in -> sink, all unbuffered (pool.go's
 * fanPipeline).  One op = one value through all of it. */
static void fan_pipeline(cpat_bench_state *st, void *arg) {
    const struct pool_param *pp = arg;
    const struct cpat_fan_ops *ops = pp->fan;
    size_t threads = (size_t)cpat_bench_threads(st);
    void **outs = NULL;
    if (cpat_bench_thread_index(st) == 0) {
        outs = calloc(threads, sizeof *outs);
        if (!outs)
            cpat_die("calloc", ENOMEM);
    }
    uint64_t n;
    if (!drv_begin(st, 0, true, &n))
        return;
    fsrc.chan = ops->chan;
    fsrc.n = n;
    fsrc.sent = 0;
    fsrc.capped = false;
    DRV_CHECK(ops->chan->make(&fsrc.src, 0));
    pthread_t source;
    DRV_CHECK(pthread_create(&source, NULL, fan_source, NULL));
    struct cpat_fan *fo, *fi;
    void *merged;
    DRV_CHECK(ops->fan_out(&fo, fsrc.src, threads, fan_square, NULL, outs));
    DRV_CHECK(ops->fan_in(&fi, outs, threads, &merged));
    uint64_t got = 0, acc = 0;
    void *v;
    while (ops->chan->recv(merged, &v) == 0) { /* for v := range fanIn(...) */
        acc += (uintptr_t)v;
        got++;
    }
    DRV_CHECK(pthread_join(source, NULL));
    ops->join(fi);
    ops->join(fo);
    drv_end(st, got, fsrc.capped);
    ops->chan->destroy(merged);
    for (size_t i = 0; i < threads; i++)
        ops->chan->destroy(outs[i]);
    ops->chan->destroy(fsrc.src);
    free(outs);
    uint64_t want = 0; /* the squares of 0..sent-1, mod 2^64 as acc */
    for (uint64_t i = 0; i < fsrc.sent; i++)
        want += (uint64_t)(uintptr_t)fan_square(NULL, (void *)(uintptr_t)i);
    if (got != fsrc.sent || acc != want)
        cpat_bench_skip(st, "fan.pipeline: a value was lost, doubled or changed");
}

/* ---- registration ---- */

/* Workload by workload, so a sweep's progress reads in that order.
 * Threads: pool.throughput and fan.pipeline the scaling set and the
 * oversubscribed point (4xPUs), as chan.prodcons; pool.latency and
 * pool.cancel the scaling set. */
void register_pool(const struct thread_sets *ts) {
    static struct pool_param params[64];
    static const unsigned job_ns[] = {0, 1000, 10000};
    size_t np = 0;
    int tput[65], ntput = 0;
    bool over_in = false;
    for (int i = 0; i < ts->nscaling; i++) {
        tput[ntput++] = ts->scaling[i];
        over_in |= ts->scaling[i] == ts->over[0];
    }
    if (!over_in)
        tput[ntput++] = ts->over[0];
#define PARAM(...)                                                                                 \
    (np < sizeof params / sizeof params[0]                                                         \
         ? (params[np] = (struct pool_param){__VA_ARGS__}, &params[np++])                          \
         : (cpat_die("register_pool: too many pools", ENOMEM), NULL))
    for (size_t k = 0; k < sizeof job_ns / sizeof job_ns[0]; k++)
        for (size_t v = 0; cpat_pool_registry[v]; v++)
            bench_reg(pool_throughput,
                      PARAM(.pool = cpat_pool_registry[v], .units = job_ns[k] / 100), tput, ntput,
                      "pool.throughput/%s/job_ns:%u", cpat_pool_registry[v]->name, job_ns[k]);
    for (size_t v = 0; cpat_pool_registry[v]; v++)
        bench_reg(pool_latency, PARAM(.pool = cpat_pool_registry[v], .units = 10), ts->scaling,
                  ts->nscaling, "pool.latency/%s/job_ns:1000", cpat_pool_registry[v]->name);
    for (size_t v = 0; cpat_fan_registry[v]; v++)
        bench_reg(fan_pipeline, PARAM(.fan = cpat_fan_registry[v]), tput, ntput, "fan.pipeline/%s",
                  cpat_fan_registry[v]->name);
    for (size_t v = 0; cpat_pool_registry[v]; v++)
        bench_reg(pool_cancel, PARAM(.pool = cpat_pool_registry[v]), ts->scaling, ts->nscaling,
                  "pool.cancel/%s", cpat_pool_registry[v]->name);
#undef PARAM
}
