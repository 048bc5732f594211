/* Pool checks P1-P4 and the fan check F1 (../shared/GUARANTEES.md).
 *
 * A pool check runs rounds until its time is up, each on a fresh pool of
 * r->threads workers (more than the cores at the larger counts), with
 * queues of 1 and of the default (100) in turn, fed by several submitter
 * threads and drained by collector threads.  Every job is a struct pjob
 * that knows what happened to it: what its submit returned, how many
 * times fn ran (counted on entry), how many times it came out of result(),
 * and -- plain data written in fn, so that ThreadSanitizer sees a missing
 * happens-before -- what fn returned and fn's completion stamp.  Jobs are
 * checked as they come out (fate, err, runs) and swept once result() has
 * returned EPIPE (every job taken came out exactly once; none refused or
 * never taken did; no fn still running).
 *
 * The fan check pushes numbered values through source -> fan_out(n) ->
 * fan_in -> sink, and through fan_in alone over inputs closed at
 * different times, one of them late, and counts every value.
 *
 * Threads that wait on the pool or the fan do not tick the progress
 * counter while they wait: a lost wake-up stalls it and the watchdog
 * reports the hang.  Waits of the check's own (a gate, a worker count, a
 * thread's exit) are bounded and fail with a message.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/spin.h"
#include "cpat/error.h"
#include "cpat/registry.h"
#include "harness.h"
#include "mutants/mutants.h"

_Static_assert(sizeof(void *) == 8, "fan values are 64-bit numbers in pointers");

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, us % 1000000 * 1000};
    nanosleep(&ts, NULL);
}

/* The threads of this process now (/proc/self/task), or -1. */
static int task_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The check's own thread, for vtick() and vrand() outside vthreads_run. */
static struct vthread controller(const struct vrun *r) {
    return (struct vthread){.r = r, .index = -1, .rng = r->seed | 1};
}

static uint64_t end_of_run(const struct vrun *r) {
    return cpat_now_ns() + (uint64_t)(r->seconds * 1e9);
}

/* ---- jobs --------------------------------------------------------------- */

enum { NOT_SUBMITTED = -1 };

enum kind {
    K_QUICK, /* spins a little */
    K_YIELD, /* yields the CPU */
    K_WATCH, /* waits up to WATCH_US on its ctx's Done; returns its Err if it fired */
    K_SLOW,  /* sleeps 1-4 x SLOW_US: the last jobs of a P4 round */
};

#define WATCH_US 300
#define SLOW_US  250

struct pjob {
    struct cpat_pool_job head; /* what the pool sees */
    int id;
    enum kind kind;
    int want;         /* what fn returns unless its ctx cut it short: 0 or a code */
    int submit;       /* its submitter's: what submit returned, or NOT_SUBMITTED */
    int ret;          /* plain, written in fn: what fn returned */
    uint64_t stamp;   /* plain, written in fn: its completion number (0: not finished) */
    _Atomic int runs; /* fn calls (counted on entry) */
    _Atomic int got;  /* times it came out of result() */
};

/* A code no errno value and no other job's is: it must reach job->err. */
static int job_code(int id) {
    return id % 5 == 1 ? 1000 + id % 100000 : 0;
}

/* One round: one pool and the threads that use it. */
struct pround {
    const struct vrun *r;
    const struct cpat_pool_ops *ops;
    struct cpat_pool *pool;
    cpat_ctx *parent; /* ours; the pool's context is its child */
    struct pjob *jobs;
    int njobs, nsub, ncoll, per; /* jobs = nsub x per */
    size_t queue;
    int workers;
    bool cancels;          /* P3: the parent is cancelled or has a deadline */
    int want_err;          /* P3: the parent's Err once it ends */
    bool canceller;        /* P3: a thread cancels the parent after cancel_us */
    long cancel_us;        /* P3 */
    bool sweep_at_epipe;   /* one collector, which sweeps at its EPIPE (P4) */
    _Atomic int subs_done; /* submitters finished (the last one closes) */
    _Atomic int in_fn;     /* fn calls running now */
    _Atomic uint64_t stamps;
    _Atomic bool gate; /* P2: fn waits while it is false */
};

static struct pjob *job_of(struct pround *s, struct cpat_pool_job *h) {
    char *p = (char *)h, *lo = (char *)s->jobs;
    if (!h || p < lo || p >= lo + (size_t)s->njobs * sizeof *s->jobs ||
        (size_t)(p - lo) % sizeof *s->jobs != offsetof(struct pjob, head))
        return NULL;
    return (struct pjob *)(p - offsetof(struct pjob, head));
}

static int job_fn(cpat_ctx *ctx, struct cpat_pool_job *job, void *arg) {
    struct pround *s = arg;
    struct pjob *j = (struct pjob *)((char *)job - offsetof(struct pjob, head));
    atomic_fetch_add_explicit(&j->runs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->in_fn, 1, memory_order_acq_rel);
    if (!ctx || cpat_ctx_ops(ctx) != s->ops->family)
        vfail(s->r, "job %d: fn was called with a context that is not of the pool's family (%s)",
              j->id, s->ops->family->name);
    while (!atomic_load_explicit(&s->gate, memory_order_acquire))
        sleep_us(50);
    int ret = j->want;
    switch (j->kind) {
    case K_QUICK:
        for (int i = j->id % 64; i; i--)
            cpat_cpu_relax();
        break;
    case K_YIELD:
        sched_yield();
        break;
    case K_SLOW: /* staggered, so that they end well apart */
        sleep_us(SLOW_US * (1 + j->id % 4));
        break;
    case K_WATCH: {
        /* Return early when the context ends, as a ctx-aware job does. */
        void *done = cpat_ctx_done(ctx);
        const struct cpat_chan_ops *ch = s->ops->family->chan;
        uint64_t until = cpat_now_ns() + WATCH_US * 1000ull;
        bool ended = false;
        if (done && (ch->flags & CPAT_CHAN_SELECT)) {
            struct cpat_select_case c = {done, CPAT_RECV, NULL};
            size_t chosen;
            int e = ch->select(&c, 1, until, &chosen);
            ended = e == 0 || e == EPIPE;
        } else {
            while (!(ended = cpat_ctx_err(ctx) != 0) && cpat_now_ns() < until)
                sched_yield();
        }
        if (ended) {
            ret = cpat_ctx_err(ctx);
            if (ret != s->want_err)
                vfail(s->r, "job %d: fn saw its context's Done closed with Err %d (%s), not %s",
                      j->id, ret, cpat_strerror(ret), cpat_strerror(s->want_err));
        }
        break;
    }
    }
    j->ret = ret;
    j->stamp = atomic_fetch_add_explicit(&s->stamps, 1, memory_order_relaxed) + 1;
    atomic_fetch_sub_explicit(&s->in_fn, 1, memory_order_acq_rel);
    return ret;
}

/* Fresh jobs for a round: kinds drawn by pick(), codes by job_code(). */
static void jobs_new(struct pround *s, struct vthread *ctl,
                     enum kind (*pick)(struct pround *, int, uint64_t)) {
    s->njobs = s->nsub * s->per;
    s->jobs = calloc((size_t)s->njobs + 1, sizeof *s->jobs);
    if (!s->jobs)
        cpat_die("calloc", ENOMEM);
    for (int i = 0; i < s->njobs; i++) {
        struct pjob *j = &s->jobs[i];
        j->id = i;
        j->kind = pick(s, i, vrand(ctl));
        j->want = job_code(i);
        j->submit = NOT_SUBMITTED;
    }
}

/* Starts the round's pool (s->parent, s->queue, s->workers set). */
static bool pool_start(struct pround *s) {
    struct cpat_pool_config cfg = {
        .workers = s->workers, .fn = job_fn, .arg = s, .queue = s->queue, .ctx = s->parent};
    int e = s->ops->start(&s->pool, &cfg);
    if (e) {
        vfail(s->r, "start(workers %d, queue %zu) returned %d (%s)", s->workers, s->queue, e,
              cpat_strerror(e));
        return false;
    }
    return true;
}

static cpat_ctx *ctx_with_cancel(struct pround *s) {
    cpat_ctx *c;
    int e = cpat_ctx_with_cancel(cpat_ctx_background(s->ops->family), &c);
    if (e)
        cpat_die("cpat_ctx_with_cancel", e);
    return c;
}

static const char *qname(size_t queue) {
    return queue == 1 ? "1" : "default";
}

/* ---- the roles of a round's threads ------------------------------------- */

static void submitter(struct vthread *t, struct pround *s) {
    int sub = t->index;
    for (int k = 0; k < s->per; k++) {
        struct pjob *j = &s->jobs[sub * s->per + k];
        int e = s->ops->submit(s->pool, &j->head);
        j->submit = e;
        vtick(t);
        if (e) {
            if (!s->cancels)
                vfail(t->r,
                      "submit of job %d (submitter %d, queue %s) returned %d (%s) before close(), "
                      "with no cancel",
                      j->id, sub, qname(s->queue), e, cpat_strerror(e));
            else if (e != s->want_err && e != EPIPE)
                vfail(t->r,
                      "submit of job %d after the context ended returned %d (%s), not %s or EPIPE",
                      j->id, e, cpat_strerror(e), cpat_strerror(s->want_err));
            break; /* the rest of ours stay NOT_SUBMITTED */
        }
        if (vrand(t) % 32 == 0)
            vnoise(t);
    }
    if (atomic_fetch_add_explicit(&s->subs_done, 1, memory_order_acq_rel) + 1 == s->nsub)
        s->ops->close(s->pool); /* close(jobs) after the last submit */
}

/* Checks one job as it comes out. */
static void check_out(const struct vrun *r, struct pround *s, struct pjob *j) {
    if (atomic_fetch_add_explicit(&j->got, 1, memory_order_relaxed)) {
        vfail(r, "job %d came out of result() a second time", j->id);
        return;
    }
    int runs = atomic_load_explicit(&j->runs, memory_order_relaxed);
    if (j->head.fate == CPAT_JOB_DONE) {
        if (runs != 1)
            vfail(r, "job %d came out DONE, but fn ran %d times", j->id, runs);
        else if (j->head.err != j->ret)
            vfail(r, "job %d came out DONE with err %d, but fn returned %d", j->id, j->head.err,
                  j->ret);
        else if (!s->cancels && j->ret != j->want)
            vfail(r, "job %d: fn returned %d, not %d, with no cancel", j->id, j->ret, j->want);
    } else if (j->head.fate == CPAT_JOB_CANCELLED) {
        if (!s->cancels)
            vfail(r, "job %d came out CANCELLED though nothing cancelled the pool", j->id);
        else if (runs != 0)
            vfail(
                r,
                "job %d came out CANCELLED, but fn ran %d times (a cancelled job's fn never runs)",
                j->id, runs);
        else if (j->head.err != s->want_err)
            vfail(r, "job %d came out CANCELLED with err %d (%s), not the context's %s", j->id,
                  j->head.err, cpat_strerror(j->head.err), cpat_strerror(s->want_err));
    } else {
        vfail(r, "job %d came out with fate %d, neither DONE nor CANCELLED", j->id, j->head.fate);
    }
}

/* After result() returned EPIPE with every collector done: each job whose
 * submit returned 0 came out exactly once, a refused or never-submitted
 * one neither ran nor came out, and no fn finished without its result
 * having come out.  all_submitted: every submit had to succeed (P4's
 * collector sweeps before it could see the submitters' records). */
static void sweep(const struct vrun *r, struct pround *s, bool all_submitted) {
    for (int i = 0; i < s->njobs && !vfailed(r); i++) {
        struct pjob *j = &s->jobs[i];
        int got = atomic_load_explicit(&j->got, memory_order_relaxed);
        int runs = atomic_load_explicit(&j->runs, memory_order_relaxed);
        int sub = all_submitted ? 0 : j->submit;
        if (sub == 0 && got != 1)
            vfail(r,
                  "job %d (submitter %d, queue %s): submit returned 0, yet it came out %d times "
                  "when result() returned EPIPE (fn ran %d times)%s",
                  j->id, i / s->per, qname(s->queue), got, runs,
                  j->stamp && !got ? ": fn finished, its result was lost" : "");
        else if (sub != 0 && (got || runs))
            vfail(r, "job %d: %s%s, yet it came out %d times and fn ran %d times", j->id,
                  sub == NOT_SUBMITTED ? "never submitted" : "submit returned ",
                  sub == NOT_SUBMITTED ? "" : cpat_strerror(sub), got, runs);
        else if (j->stamp && !got)
            vfail(r,
                  "job %d: fn finished (completion %" PRIu64 ") but its result had not come out "
                  "when result() returned EPIPE",
                  j->id, j->stamp);
    }
}

/* What every collector checks when result() returns EPIPE. */
static void at_epipe(struct vthread *t, struct pround *s) {
    const struct vrun *r = t->r;
    int in_fn = atomic_load_explicit(&s->in_fn, memory_order_acquire);
    if (in_fn)
        vfail(r,
              "result() returned EPIPE while %d fn call(s) were still running: the results closed "
              "before the last worker's last result (queue %s)",
              in_fn, qname(s->queue));
    int subs = atomic_load_explicit(&s->subs_done, memory_order_acquire);
    if (!s->cancels && subs != s->nsub) {
        vfail(r, "result() returned EPIPE before close(): %d of %d submitters still submitting",
              s->nsub - subs, s->nsub);
        cpat_ctx_cancel(s->parent); /* frees the submitters, whatever the pool does */
    }
    struct cpat_pool_job *h = (void *)1;
    int e = s->ops->result(s->pool, &h);
    if (e != EPIPE || h != NULL)
        vfail(r,
              "result() after it returned EPIPE returned %d (%s), job %p: the results must stay "
              "closed",
              e, cpat_strerror(e), (void *)h);
    if (s->sweep_at_epipe && !vfailed(r))
        sweep(r, s, true);
}

static void collector(struct vthread *t, struct pround *s) {
    struct cpat_pool_job *h;
    int e;
    while ((e = s->ops->result(s->pool, &h)) == 0) {
        struct pjob *j = job_of(s, h);
        if (!j)
            vfail(t->r, "result() gave %p, not one of this round's jobs", (void *)h);
        else
            check_out(t->r, s, j);
        vtick(t);
    }
    if (e != EPIPE)
        vfail(t->r, "result() returned %d (%s), not 0 or EPIPE", e, cpat_strerror(e));
    at_epipe(t, s);
}

static void canceller(struct vthread *t, struct pround *s) {
    sleep_us(s->cancel_us);
    cpat_ctx_cancel(s->parent);
    vtick(t);
}

static void round_thread(struct vthread *t) {
    struct pround *s = t->arg;
    if (t->index < s->nsub)
        submitter(t, s);
    else if (t->index < s->nsub + s->ncoll)
        collector(t, s);
    else
        canceller(t, s);
}

/* A round of submitters, collectors (and a canceller): starts the pool,
 * runs them, sweeps, waits. */
static void run_round(struct pround *s) {
    const struct vrun *r = s->r;
    if (!pool_start(s))
        return;
    vthreads_run(r, s->nsub + s->ncoll + s->canceller, round_thread, s);
    if (!s->sweep_at_epipe && !vfailed(r))
        sweep(r, s, false);
    s->ops->wait(s->pool);
    s->pool = NULL;
}

static void round_free(struct pround *s) {
    cpat_ctx_release(s->parent);
    free(s->jobs);
    s->jobs = NULL;
}

/* ---- P1 ----------------------------------------------------------------- */

static enum kind p1_kind(struct pround *s, int i, uint64_t rnd) {
    (void)s, (void)i;
    return rnd % 8 == 0 ? K_YIELD : K_QUICK;
}

/* P1: three submitters, two collectors; every job runs once and comes out
 * once, DONE, with what fn returned (codes included). */
static int p1_run(const struct vrun *r) {
    struct vthread ctl = controller(r);
    long rounds = 0, jobs = 0;
    for (uint64_t end = end_of_run(r); !vfailed(r) && (rounds < 2 || cpat_now_ns() < end);
         rounds++) {
        struct pround s = {.r = r, .ops = r->ops, .nsub = 3, .ncoll = 2, .workers = r->threads};
        s.queue = rounds % 2 ? 1 : 0;
        s.per = s.queue == 1 ? 48 : 160;
        s.parent = ctx_with_cancel(&s);
        atomic_init(&s.gate, true);
        jobs_new(&s, &ctl, p1_kind);
        run_round(&s);
        jobs += s.njobs;
        round_free(&s);
        vtick(&ctl);
    }
    vtick_flush(&ctl);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds, %ld jobs", rounds, jobs);
    return VPASS;
}

/* ---- P2 ----------------------------------------------------------------- */

/* How long a joined thread may still be listed in /proc/self/task: the
 * kernel clears the thread id pthread_join() waits for a little before it
 * unlists the thread (the worst lag of a run is in P2's note).  A pool
 * thread that outlives wait() by more is left running. */
#define EXIT_LAG_NS (CPAT_TSAN ? 200000000ull : 100000000ull)

/* Waits (up to EXIT_LAG_NS) until no more than `want` threads show in
 * /proc/self/task; *lag: how long it took. */
static int tasks_settle(int want, uint64_t *lag) {
    uint64_t t0 = cpat_now_ns(), now = t0;
    int n;
    while ((n = task_count()) > want && (now = cpat_now_ns()) - t0 < EXIT_LAG_NS)
        sleep_us(100);
    *lag = now - t0;
    return n;
}

enum p2_kind { P2_GATED, P2_IDLE, P2_EMPTY, P2_KINDS };
static const char *const p2_names[] = {"jobs still queued at close", "idle workers at close",
                                       "no job at all"};

/* Takes results on this thread until EPIPE (or until `upto` came out). */
static long p2_collect(struct vthread *ctl, struct pround *s, long upto) {
    long n = 0;
    struct cpat_pool_job *h;
    int e = 0;
    while ((upto < 0 || n < upto) && (e = s->ops->result(s->pool, &h)) == 0) {
        struct pjob *j = job_of(s, h);
        if (!j)
            vfail(ctl->r, "result() gave %p, not one of this round's jobs", (void *)h);
        else
            check_out(ctl->r, s, j);
        n++;
        vtick(ctl);
    }
    if (e && e != EPIPE)
        vfail(ctl->r, "result() returned %d (%s), not 0 or EPIPE", e, cpat_strerror(e));
    if (e == EPIPE && upto >= 0)
        vfail(ctl->r, "result() returned EPIPE before close(), after %ld of %ld results", n, upto);
    return n;
}

static void p2_submit_all(struct vthread *ctl, struct pround *s) {
    for (int i = 0; i < s->njobs; i++) {
        int e = s->ops->submit(s->pool, &s->jobs[i].head);
        s->jobs[i].submit = e;
        if (e) {
            vfail(ctl->r, "submit of job %d returned %d (%s) before close(), with no cancel", i, e,
                  cpat_strerror(e));
            return;
        }
        vtick(ctl);
    }
}

/* One round of kind k; base is the thread count before the pool started. */
/* Returns how long the pool's threads took to leave /proc after wait(). */
static uint64_t p2_round(struct vthread *ctl, struct pround *s, enum p2_kind k, int base) {
    const struct vrun *r = ctl->r;
    int mid = -1, w = s->workers;
    if (!pool_start(s))
        return 0;
    if (k == P2_GATED) {
        /* Every worker inside fn, held there; the rest queued behind them. */
        p2_submit_all(ctl, s);
        uint64_t until = cpat_now_ns() + (uint64_t)(r->stall * 0.5e9);
        while (!vfailed(r) && atomic_load_explicit(&s->in_fn, memory_order_acquire) < w &&
               cpat_now_ns() < until)
            sleep_us(100);
        int in = atomic_load_explicit(&s->in_fn, memory_order_acquire);
        if (in != w)
            vfail(
                r,
                "%d jobs submitted to %d workers held in fn: only %d of them entered fn in %.1f s",
                s->njobs, w, in, r->stall * 0.5);
        mid = task_count();
        if (mid >= 0 && mid < base + w)
            vfail(r,
                  "/proc/self/task lists %d threads with %d workers in fn and %d threads before "
                  "start: the count cannot be trusted",
                  mid, w, base);
        s->ops->close(s->pool); /* close while jobs are queued and running */
        atomic_store_explicit(&s->gate, true, memory_order_release);
        p2_collect(ctl, s, -1);
    } else if (k == P2_IDLE) {
        p2_submit_all(ctl, s);
        p2_collect(ctl, s, s->njobs);
        mid = task_count();
        sleep_us(2000 + (long)(vrand(ctl) % 2000)); /* let the workers park */
        s->ops->close(s->pool);
        p2_collect(ctl, s, -1);
    } else {
        if (vrand(ctl) % 2)
            sleep_us(500);
        mid = task_count();
        s->ops->close(s->pool);
        p2_collect(ctl, s, -1);
    }
    struct cpat_pool_job *h = (void *)1;
    int e = s->ops->result(s->pool, &h);
    if (e != EPIPE || h)
        vfail(r, "result() after EPIPE returned %d (%s), job %p", e, cpat_strerror(e), (void *)h);
    s->ops->wait(s->pool);
    s->pool = NULL;
    for (int i = 0; i < s->njobs && !vfailed(r); i++) {
        struct pjob *j = &s->jobs[i];
        int got = atomic_load_explicit(&j->got, memory_order_relaxed);
        int runs = atomic_load_explicit(&j->runs, memory_order_relaxed);
        if (got != 1 || runs != 1)
            vfail(r,
                  "%s (%d workers, queue %s): after close() and wait(), job %d of %d came out %d "
                  "times and fn ran %d times: %s",
                  p2_names[k], w, qname(s->queue), i, s->njobs, got, runs,
                  runs ? "its result was lost" : "it was never run (a worker left early?)");
    }
    uint64_t lag;
    int after = tasks_settle(base, &lag);
    if (after != base)
        vfail(r,
              "%s (%d workers, queue %s): threads left running after wait(): %d threads before "
              "start, %d with the pool running, %d after wait() and %.0f ms more",
              p2_names[k], w, qname(s->queue), base, mid, after, EXIT_LAG_NS / 1e6);
    return lag;
}

static void noop_thread(struct vthread *t) {
    (void)t;
}

/* P2: close then wait -- with jobs still queued behind workers held in fn,
 * with every worker idle (parked), and with no job at all -- runs every
 * job, and no thread of the pool outlives wait(). */
static int p2_run(const struct vrun *r) {
    struct vthread ctl = controller(r);
    /* A thread started and joined first: a runtime that starts a helper
     * thread of its own on the first pthread_create (a sanitizer's) has
     * done so before the count. */
    vthreads_run(r, 1, noop_thread, NULL);
    long rounds = 0;
    uint64_t maxlag = 0;
    for (uint64_t end = end_of_run(r);
         !vfailed(r) && (rounds < 2 * P2_KINDS || cpat_now_ns() < end); rounds++) {
        enum p2_kind k = (enum p2_kind)(rounds % P2_KINDS);
        struct pround s = {.r = r, .ops = r->ops, .nsub = 1, .workers = r->threads};
        s.queue = (rounds / P2_KINDS) % 2 ? 1 : 0;
        /* Gated: a job per worker held in fn, `queued` more behind them.
         * Idle: no more than the jobs and results channels hold (this
         * thread submits all, then takes all). */
        int queued = s.queue == 1 ? 1 : 50, fits = s.queue == 1 ? 1 : 100;
        s.per = k == P2_GATED  ? s.workers + queued
                : k == P2_IDLE ? (2 * s.workers < fits ? 2 * s.workers : fits)
                               : 0;
        s.parent = ctx_with_cancel(&s);
        atomic_init(&s.gate, k != P2_GATED);
        jobs_new(&s, &ctl, p1_kind);
        int base = task_count();
        if (base < 0) {
            round_free(&s);
            vnote(r, "no /proc/self/task here");
            return VSKIP;
        }
        uint64_t lag = p2_round(&ctl, &s, k, base);
        maxlag = lag > maxlag ? lag : maxlag;
        round_free(&s);
        vtick(&ctl);
    }
    vtick_flush(&ctl);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds, every thread gone after each wait() (within %.2f ms)", rounds,
          maxlag / 1e6);
    return VPASS;
}

/* ---- P3 ----------------------------------------------------------------- */

static enum kind p3_kind(struct pround *s, int i, uint64_t rnd) {
    (void)s, (void)i;
    return rnd % 2 ? K_WATCH : rnd % 8 == 0 ? K_YIELD : K_QUICK;
}

struct p3_tally {
    long rounds, deadline_rounds, mid_flight, done, cancelled, refused;
};

/* P3: the parent context ends at a random moment -- cancelled by a thread,
 * or its deadline passing -- while submitters stream jobs (some of which
 * watch their context and return early): every job taken comes out once,
 * DONE with fn run once or CANCELLED with fn never run and the context's
 * Err; a refused submit's job never runs or comes out; the results close. */
static int p3_run(const struct vrun *r) {
    struct vthread ctl = controller(r);
    struct p3_tally t = {0};
    for (uint64_t end = end_of_run(r); !vfailed(r) && (t.rounds < 4 || cpat_now_ns() < end);
         t.rounds++) {
        struct pround s = {.r = r, .ops = r->ops, .nsub = 2, .ncoll = 2, .workers = r->threads};
        s.queue = t.rounds % 2 ? 1 : 0;
        s.cancels = true;
        bool deadline = (t.rounds / 2) % 2;
        uint64_t rnd = vrand(&ctl);
        /* Mostly a stream the end cuts short; now and then a few jobs
         * that are all in (and closed) before it comes. */
        s.per = rnd % 4 == 0 ? 16 : 2000;
        long delay_us = (long)((rnd >> 8) % 2000);
        if (rnd % 16 == 1)
            delay_us = 0; /* ends before anything runs */
        if (deadline) {
            s.want_err = ETIMEDOUT;
            int e = cpat_ctx_with_deadline(cpat_ctx_background(s.ops->family),
                                           cpat_now_ns() + (uint64_t)delay_us * 1000, &s.parent);
            if (e)
                cpat_die("cpat_ctx_with_deadline", e);
            t.deadline_rounds++;
        } else {
            s.want_err = ECANCELED;
            s.parent = ctx_with_cancel(&s);
            s.canceller = true;
            s.cancel_us = delay_us;
            if (rnd % 16 == 2)
                cpat_ctx_cancel(s.parent); /* the pool starts under a cancelled context */
        }
        atomic_init(&s.gate, true);
        jobs_new(&s, &ctl, p3_kind);
        run_round(&s);
        long done = 0, cancelled = 0;
        for (int i = 0; i < s.njobs; i++) {
            done += s.jobs[i].head.fate == CPAT_JOB_DONE;
            cancelled += s.jobs[i].head.fate == CPAT_JOB_CANCELLED;
            t.refused += s.jobs[i].submit > 0;
        }
        t.done += done;
        t.cancelled += cancelled;
        t.mid_flight += done && cancelled;
        round_free(&s);
        vtick(&ctl);
    }
    vtick_flush(&ctl);
    if (vfailed(r))
        return VFAIL;
    vnote(r,
          "%ld rounds (%ld by deadline), %ld ended with jobs both done and cancelled; %ld jobs "
          "done, %ld cancelled, %ld submits refused",
          t.rounds, t.deadline_rounds, t.mid_flight, t.done, t.cancelled, t.refused);
    return VPASS;
}

/* ---- P4 ----------------------------------------------------------------- */

/* The last jobs of each submitter are slow: when the jobs run out, most
 * workers are still inside one, so results closed when the first worker
 * leaves (not the last) close under running jobs. */
static enum kind p4_kind(struct pround *s, int i, uint64_t rnd) {
    return i % s->per >= s->per - s->workers ? K_SLOW : rnd % 8 == 0 ? K_YIELD : K_QUICK;
}

/* P4: the one collector, at result()'s EPIPE, finds no fn running, every
 * job's result already taken (fn's plain completion stamp is read there:
 * under TSan a result closed early is also a race), and result() EPIPE
 * again. */
static int p4_run(const struct vrun *r) {
    struct vthread ctl = controller(r);
    long rounds = 0;
    for (uint64_t end = end_of_run(r); !vfailed(r) && (rounds < 2 || cpat_now_ns() < end);
         rounds++) {
        struct pround s = {.r = r, .ops = r->ops, .nsub = 2, .ncoll = 1, .workers = r->threads};
        s.queue = rounds % 2 ? 1 : 0;
        s.per = 32 + s.workers;
        s.sweep_at_epipe = true;
        s.parent = ctx_with_cancel(&s);
        atomic_init(&s.gate, true);
        jobs_new(&s, &ctl, p4_kind);
        run_round(&s);
        round_free(&s);
        vtick(&ctl);
    }
    vtick_flush(&ctl);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds", rounds);
    return VPASS;
}

static const struct vcheck pool_checks[] = {
    {"P1", "every submitted job runs exactly once; every result is delivered exactly once", p1_run,
     false, false},
    {"P2", "close then wait: all jobs finish, workers exit, no thread is left running", p2_run,
     false, false},
    {"P3",
     "cancel mid-flight: every job completes or is reported cancelled, exactly once; wait "
     "returns",
     p3_run, false, false},
    {"P4", "results close exactly once, after the last worker has sent its last result", p4_run,
     false, false},
};

static size_t pool_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_pool *mu = vmutants_pool; mu->ops && n < max; mu++)
            out[n++] = (struct vimpl){mu->ops->name, mu->ops, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_pool_ops *const *o = cpat_pool_registry; *o && n < max; o++)
        out[n++] = (struct vimpl){(*o)->name, *o, false, false};
    return n;
}

const struct vpattern vpattern_pool = {"pool", pool_checks,
                                       sizeof pool_checks / sizeof pool_checks[0], pool_impls};

/* ---- F1 ----------------------------------------------------------------- */

#define FAN_OFFSET (1ull << 32) /* fn(v) = v + FAN_OFFSET */

struct fround {
    const struct vrun *r;
    const struct cpat_fan_ops *ops;
    const struct cpat_chan_ops *ch;
    bool pipeline;    /* A: source -> fan_out -> fan_in -> sink; B: inputs -> fan_in -> sink */
    long total;       /* values sent, all told */
    _Atomic int *got; /* per value: times the sink received it (index: value_index) */
    void *merged;
    /* A */
    void *in;
    int nsrc;
    long per;
    _Atomic int *calls; /* per value: fn calls */
    _Atomic int src_closing;
    /* B */
    int nin, late;
    void **ins;
    long *count, *base;   /* per input: values, index of its first */
    _Atomic int *closing; /* per input: its feeder is about to close it (or has) */
    _Atomic int nclosed;
    /* the sink's */
    long received;
    uint64_t sum;
};

static void *fan_fn(void *arg, void *v) {
    struct fround *s = arg;
    uint64_t id = (uint64_t)(uintptr_t)v;
    if (id < 1 || id > (uint64_t)s->total) {
        vfail(s->r, "fan_out's fn was given %#" PRIx64 ", not a value the source sent", id);
        return v;
    }
    atomic_fetch_add_explicit(&s->calls[id - 1], 1, memory_order_relaxed);
    for (uint64_t i = id % 32; i; i--)
        cpat_cpu_relax();
    return (void *)(uintptr_t)(id + FAN_OFFSET);
}

/* B's values: (input + 1) << 32 | (k + 1). */
static void *b_value(int input, long k) {
    return (void *)(uintptr_t)((uint64_t)(input + 1) << 32 | (uint64_t)(k + 1));
}

/* The index of a value the sink received, or -1. */
static long value_index(struct fround *s, void *v) {
    uint64_t x = (uint64_t)(uintptr_t)v;
    if (s->pipeline)
        return x > FAN_OFFSET && x - FAN_OFFSET <= (uint64_t)s->total ? (long)(x - FAN_OFFSET - 1)
                                                                      : -1;
    uint64_t input = (x >> 32) - 1, k = (x & 0xffffffffu) - 1;
    if ((x >> 32) == 0 || input >= (uint64_t)s->nin || (x & 0xffffffffu) == 0 ||
        k >= (uint64_t)s->count[input])
        return -1;
    return s->base[input] + (long)k;
}

static void fan_source(struct vthread *t, struct fround *s) {
    for (long k = 0; k < s->per; k++) {
        uint64_t id = (uint64_t)(t->index * s->per + k + 1);
        int e = s->ch->send(s->in, (void *)(uintptr_t)id);
        if (e) {
            vfail(t->r, "send of value %" PRIu64 " on fan_out's input returned %d (%s)", id, e,
                  cpat_strerror(e));
            break;
        }
        vtick(t);
        if (vrand(t) % 16 == 0)
            vnoise(t);
    }
    /* The last source closes `in`, saying so first: the sink's EPIPE must
     * come after this. */
    if (atomic_fetch_add_explicit(&s->src_closing, 1, memory_order_acq_rel) + 1 == s->nsrc)
        s->ch->close(s->in);
}

static void fan_feeder(struct vthread *t, struct fround *s) {
    int i = t->index;
    if (i == s->late) {
        /* Late: every other input closed first, and a moment for a
         * merged channel that wrongly follows them to close. */
        while (atomic_load_explicit(&s->nclosed, memory_order_acquire) < s->nin - 1)
            sleep_us(50);
        sleep_us(1000);
    } else if (atomic_load_explicit(&s->closing[i], memory_order_acquire)) {
        return; /* closed empty before fan_in started */
    } else {
        sleep_us((long)(vrand(t) % 300));
    }
    for (long k = 0; k < s->count[i]; k++) {
        int e = s->ch->send(s->ins[i], b_value(i, k));
        if (e) {
            vfail(t->r, "send on fan_in's input %d returned %d (%s)", i, e, cpat_strerror(e));
            break;
        }
        vtick(t);
        if (vrand(t) % 8 == 0)
            vnoise(t);
    }
    if (i != s->late)
        sleep_us((long)(vrand(t) % 200));
    atomic_store_explicit(&s->closing[i], 1, memory_order_release);
    s->ch->close(s->ins[i]);
    atomic_fetch_add_explicit(&s->nclosed, 1, memory_order_acq_rel);
}

/* Lists the inputs still open, for a message. */
static void open_inputs(struct fround *s, char *buf, size_t sz) {
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < s->nin && n + 16 < sz; i++)
        if (!atomic_load_explicit(&s->closing[i], memory_order_acquire))
            n += (size_t)snprintf(buf + n, sz - n, "%s%d%s", n ? "," : "", i,
                                  i == s->late ? " (the late one)" : "");
}

static void fan_sink(struct vthread *t, struct fround *s) {
    void *v;
    int e;
    while ((e = s->ch->recv(s->merged, &v)) == 0) {
        long idx = value_index(s, v);
        if (idx < 0) {
            vfail(t->r, "the merged channel gave %p: not %s", v,
                  s->pipeline ? "fn(v) of a value the source sent" : "a value an input was sent");
            continue;
        }
        if (atomic_fetch_add_explicit(&s->got[idx], 1, memory_order_relaxed))
            vfail(t->r, "the merged channel gave %p a second time", v);
        s->received++;
        s->sum += (uint64_t)(uintptr_t)v;
        vtick(t);
    }
    if (e != EPIPE) {
        vfail(t->r, "recv on the merged channel returned %d (%s)", e, cpat_strerror(e));
        return;
    }
    if (s->pipeline) {
        int closing = atomic_load_explicit(&s->src_closing, memory_order_acquire);
        if (closing != s->nsrc)
            vfail(t->r,
                  "the merged channel closed (recv EPIPE) after %ld of %ld values, before the "
                  "source closed fan_out's input (%d of %d sources done)",
                  s->received, s->total, closing, s->nsrc);
    } else {
        char open[200];
        open_inputs(s, open, sizeof open);
        if (open[0])
            vfail(t->r,
                  "the merged channel of fan_in(%d inputs) closed (recv EPIPE) after %ld of %ld "
                  "values while input(s) %s were still open",
                  s->nin, s->received, s->total, open);
    }
    if (!vfailed(t->r) && s->received != s->total)
        vfail(t->r, "the merged channel closed after %ld of %ld values: %ld lost", s->received,
              s->total, s->total - s->received);
    e = s->ch->recv(s->merged, &v);
    if (e != EPIPE)
        vfail(t->r, "recv on the merged channel after its EPIPE returned %d (%s), value %p", e,
              cpat_strerror(e), v);
}

static void fan_thread(struct vthread *t) {
    struct fround *s = t->arg;
    int feeders = s->pipeline ? s->nsrc : s->nin;
    if (t->index < feeders) {
        if (s->pipeline)
            fan_source(t, s);
        else
            fan_feeder(t, s);
    } else {
        fan_sink(t, s);
    }
}

static void *chan_make(struct fround *s, size_t cap) {
    void *c;
    int e = s->ch->make(&c, cap);
    if (e)
        cpat_die("chan make", e);
    return c;
}

/* A channel the fan should have closed: EPIPE at once, no value. */
static void expect_closed(struct fround *s, void *c, const char *what, int i) {
    void *v = NULL;
    int e = s->ch->tryrecv(c, &v);
    if (e != EPIPE)
        vfail(s->r, "after join(): %s %d is not closed and drained: tryrecv returned %d (%s), %p",
              what, i, e, cpat_strerror(e), v);
}

/* A: source -> fan_out(n) -> fan_in -> sink. */
static void f1_pipeline(struct vthread *ctl, struct fround *s) {
    const struct vrun *r = ctl->r;
    int n = r->threads;
    s->nsrc = 2;
    s->per = 200;
    s->total = s->nsrc * s->per;
    s->calls = calloc((size_t)s->total, sizeof *s->calls);
    s->got = calloc((size_t)s->total, sizeof *s->got);
    void **outs = calloc((size_t)n, sizeof *outs);
    if (!s->calls || !s->got || !outs)
        cpat_die("calloc", ENOMEM);
    s->in = chan_make(s, 0);
    struct cpat_fan *fo, *fi;
    int e = s->ops->fan_out(&fo, s->in, (size_t)n, fan_fn, s, outs);
    if (e) {
        vfail(r, "fan_out(n %d) returned %d (%s)", n, e, cpat_strerror(e));
        return;
    }
    if ((e = s->ops->fan_in(&fi, outs, (size_t)n, &s->merged))) {
        vfail(r, "fan_in(n %d) returned %d (%s)", n, e, cpat_strerror(e));
        return; /* leaks fo's threads: the run is over */
    }
    vthreads_run(r, s->nsrc + 1, fan_thread, s);
    s->ops->join(fo);
    s->ops->join(fi);
    for (int i = 0; i < n; i++)
        expect_closed(s, outs[i], "fan_out's output", i);
    expect_closed(s, s->merged, "the merged channel", 0);
    uint64_t want = 0;
    for (long k = 0; k < s->total && !vfailed(r); k++) {
        int calls = atomic_load_explicit(&s->calls[k], memory_order_relaxed);
        int got = atomic_load_explicit(&s->got[k], memory_order_relaxed);
        if (calls != 1 || got != 1)
            vfail(r, "fan_out(%d) -> fan_in: value %ld went through fn %d times, came out %d times",
                  n, k + 1, calls, got);
        want += (uint64_t)k + 1 + FAN_OFFSET;
    }
    if (!vfailed(r) && s->sum != want)
        vfail(r, "fan_out(%d) -> fan_in: sum of the values out %" PRIu64 ", not %" PRIu64, n,
              s->sum, want);
    for (int i = 0; i < n; i++)
        s->ch->destroy(outs[i]);
    s->ch->destroy(s->in);
    s->ch->destroy(s->merged);
    free(outs);
    free(s->calls);
    free(s->got);
}

/* B: fan_in over inputs closed at different times (some buffered, maybe
 * one closed empty before fan_in starts), one of them late. */
static void f1_fan_in(struct vthread *ctl, struct fround *s) {
    const struct vrun *r = ctl->r;
    int n = s->nin = r->threads < 2 ? 2 : r->threads;
    s->ins = calloc((size_t)n, sizeof *s->ins);
    s->count = calloc((size_t)n, sizeof *s->count);
    s->base = calloc((size_t)n, sizeof *s->base);
    s->closing = calloc((size_t)n, sizeof *s->closing);
    if (!s->ins || !s->count || !s->base || !s->closing)
        cpat_die("calloc", ENOMEM);
    s->late = (int)(vrand(ctl) % (uint64_t)n);
    int empty = vrand(ctl) % 2 ? (s->late + 1) % n : -1; /* closed before fan_in */
    for (int i = 0; i < n; i++) {
        s->ins[i] = chan_make(s, vrand(ctl) % 2 ? 0 : 4);
        s->count[i] = i == empty     ? 0
                      : i == s->late ? 16 + (long)(vrand(ctl) % 32)
                                     : (long)(vrand(ctl) % 40);
        s->base[i] = s->total;
        s->total += s->count[i];
    }
    s->got = calloc((size_t)s->total + 1, sizeof *s->got);
    if (!s->got)
        cpat_die("calloc", ENOMEM);
    if (empty >= 0) {
        atomic_store_explicit(&s->closing[empty], 1, memory_order_relaxed);
        s->ch->close(s->ins[empty]);
        atomic_fetch_add_explicit(&s->nclosed, 1, memory_order_relaxed);
    }
    struct cpat_fan *fi;
    int e = s->ops->fan_in(&fi, s->ins, (size_t)n, &s->merged);
    if (e) {
        vfail(r, "fan_in(n %d) returned %d (%s)", n, e, cpat_strerror(e));
        return;
    }
    vthreads_run(r, n + 1, fan_thread, s);
    s->ops->join(fi);
    expect_closed(s, s->merged, "the merged channel", 0);
    uint64_t want = 0;
    for (int i = 0; i < n && !vfailed(r); i++)
        for (long k = 0; k < s->count[i]; k++) {
            int got = atomic_load_explicit(&s->got[s->base[i] + k], memory_order_relaxed);
            if (got != 1) {
                vfail(r, "fan_in(%d): value %ld of input %d%s came out %d times", n, k, i,
                      i == s->late ? " (the late one)" : "", got);
                break;
            }
            want += (uint64_t)(uintptr_t)b_value(i, k);
        }
    if (!vfailed(r) && s->sum != want)
        vfail(r, "fan_in(%d): sum of the values out %" PRIu64 ", not %" PRIu64, n, s->sum, want);
    for (int i = 0; i < n; i++)
        s->ch->destroy(s->ins[i]);
    s->ch->destroy(s->merged);
    free(s->ins);
    free(s->count);
    free(s->base);
    free(s->closing);
    free(s->got);
}

/* F1: rounds of A and B in turn. */
static int f1_run(const struct vrun *r) {
    struct vthread ctl = controller(r);
    long rounds = 0, values = 0;
    for (uint64_t end = end_of_run(r); !vfailed(r) && (rounds < 2 || cpat_now_ns() < end);
         rounds++) {
        struct fround s = {
            .r = r, .ops = r->ops, .ch = ((const struct cpat_fan_ops *)r->ops)->chan};
        s.pipeline = rounds % 2 == 0;
        if (s.pipeline)
            f1_pipeline(&ctl, &s);
        else
            f1_fan_in(&ctl, &s);
        values += s.received;
        vtick(&ctl);
    }
    vtick_flush(&ctl);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds, %ld values", rounds, values);
    return VPASS;
}

static const struct vcheck fan_checks[] = {
    {"F1",
     "fan_out/fan_in lose and duplicate nothing; the merged channel closes once, after "
     "every input",
     f1_run, false, false},
};

static size_t fan_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_fan *mu = vmutants_fan; mu->ops && n < max; mu++)
            out[n++] = (struct vimpl){mu->ops->name, mu->ops, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_fan_ops *const *o = cpat_fan_registry; *o && n < max; o++)
        out[n++] = (struct vimpl){(*o)->name, *o, false, false};
    return n;
}

const struct vpattern vpattern_fan = {"fan", fan_checks, sizeof fan_checks / sizeof fan_checks[0],
                                      fan_impls};
