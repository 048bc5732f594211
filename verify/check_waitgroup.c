/* waitgroup checks W1-W2 and X6 for the ctx-aware wait (../shared/GUARANTEES.md).  Workers leave
 * plain marks before each done() so that ThreadSanitizer sees any missing happens-before between
 * done() and the return of wait(). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "copy.h"
#include "cpat/context.h"
#include "cpat/error.h"
#include "cpat/registry.h"
#include "harness.h"
#include "mutants/mutants.h"

struct wshared {
    const struct cpat_waitgroup_ops *ops;
    void *wg;
    /* W1 rounds */
    pthread_barrier_t round_barrier;
    long round; /* plain: thread 0 sets them between rounds */
    bool stop;
    struct wmark {
        long first, second; /* plain: a worker's marks, set before its two done()s */
    } * marks;
    _Atomic long dones; /* done() calls so far, all rounds */
    /* W2 reuse trials */
    _Atomic int trial;    /* the trial the controller has started */
    _Atomic int waiting;  /* the trial whose wait() the waiter is about to call */
    _Atomic int returned; /* the trial whose wait() has returned */
    int detected;         /* trials whose reuse was reported */
    char reuse_why[300];  /* how the first one was */
    int cpu;              /* both W2 threads run here */
};

static struct wshared *wshared_new(const struct vrun *r) {
    struct wshared *s = calloc(1, sizeof *s);
    s->ops = r->ops;
    s->wg = cpat_obj_new(s->ops->size, s->ops->align);
    int e = s->ops->init(s->wg);
    if (e)
        cpat_die("waitgroup init", e);
    return s;
}

static void wshared_free(struct wshared *s) {
    s->ops->destroy(s->wg);
    free(s->wg);
    free(s->marks);
    free(s);
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, us % 1000000 * 1000};
    nanosleep(&ts, NULL);
}

/* W1 roles: odd threads are workers, even threads (0 included) waiters. */
static int w1_workers(const struct vrun *r) {
    return r->threads / 2;
}

static void w1_done(struct vthread *t, struct wshared *s) {
    atomic_fetch_add_explicit(&s->dones, 1, memory_order_relaxed);
    int e = s->ops->done(s->wg);
    if (e)
        vfail(t->r, "round %ld: done() with the counter above zero returned %d", s->round, e);
}

/* A worker marks, calls done(), works a little (now and then long enough
 * for the waiters to park), marks again and calls done() again: the
 * counter passes through every value from 2 x workers down to zero. */
static void w1_worker(struct vthread *t, struct wshared *s) {
    struct wmark *m = &s->marks[t->index];
    vnoise(t);
    m->first = s->round;
    w1_done(t, s);
    if (vrand(t) % 8 == 0)
        sleep_us(100);
    else
        vnoise(t);
    m->second = s->round;
    w1_done(t, s);
}

/* A waiter checks that wait() returned after every done() of the round
 * and that it sees every mark made before them. */
static void w1_waiter(struct vthread *t, struct wshared *s) {
    vnoise(t);
    s->ops->wait(s->wg);
    long want = 2L * w1_workers(t->r) * s->round;
    long got = atomic_load_explicit(&s->dones, memory_order_relaxed);
    if (got != want) {
        vfail(t->r, "round %ld: wait() returned in thread %d after %ld of %ld done() calls",
              s->round, t->index, got - want + 2L * w1_workers(t->r), 2L * w1_workers(t->r));
        return;
    }
    for (int w = 1; w < t->r->threads; w += 2)
        if (s->marks[w].first != s->round || s->marks[w].second != s->round)
            vfail(t->r, "round %ld: thread %d does not see worker %d's work after wait()", s->round,
                  t->index, w);
}

/* Between rounds, on thread 0: the same group is reused, every wait() of
 * the last round having returned. */
static void w1_next_round(struct vthread *t, struct wshared *s) {
    s->stop = vtime_up(t) || vfailed(t->r);
    if (s->stop)
        return;
    s->round++;
    int e = s->ops->add(s->wg, 2 * w1_workers(t->r));
    if (e) {
        vfail(t->r, "round %ld: add() on a zero counter with no wait() left returned %d", s->round,
              e);
        s->stop = true;
    }
}

static void w1_thread(struct vthread *t) {
    struct wshared *s = t->arg;
    for (;;) {
        if (t->index == 0)
            w1_next_round(t, s);
        pthread_barrier_wait(&s->round_barrier);
        if (s->stop)
            return;
        if (t->index % 2)
            w1_worker(t, s);
        else
            w1_waiter(t, s);
        vtick(t);
        pthread_barrier_wait(&s->round_barrier);
    }
}

static int w1_run(const struct vrun *r) {
    if (r->threads < 2)
        return VSKIP;
    struct wshared *s = wshared_new(r);
    s->marks = calloc((size_t)r->threads, sizeof *s->marks);
    pthread_barrier_init(&s->round_barrier, NULL, (unsigned)r->threads);
    vthreads_run(r, r->threads, w1_thread, s);
    pthread_barrier_destroy(&s->round_barrier);
    long rounds = s->round;
    wshared_free(s);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds", rounds);
    return VPASS;
}

/* W2 runs each call that misuses the group in a forked copy of the check's
 * process (vcopy_run, copy.h): the copy's group is a snapshot, so an abort
 * ends only the copy and the group here stays as it was for the next step.
 * A misuse counts as reported when the call aborts with a message naming
 * it ("cpat: cpat_waitgroup_..."), or returns EINVAL (no cpat variant does:
 * their add() has published the counter before it can look; such a
 * variant's "changes nothing" is then not checked here). */
enum misuse_outcome { REPORTED, SILENT, NO_VERDICT };

struct misuse {
    struct wshared *s;
    int delta; /* -1: done() */
};

/* In the copy: the call, and how it returned as the copy's exit status. */
static int misuse_call(void *arg) {
    const struct misuse *m = arg;
    int e = m->delta == -1 ? m->s->ops->done(m->s->wg) : m->s->ops->add(m->s->wg, m->delta);
    return e == 0 ? 0 : e == EINVAL ? 1 : 2;
}

static enum misuse_outcome misuse_in_copy(const struct vrun *r, struct wshared *s, int delta,
                                          char *why, size_t whysz) {
    struct misuse m = {s, delta};
    struct vcopy c;
    vcopy_run(r, misuse_call, &m, &c);
    /* The copy may block for good where fork caught another thread inside
     * the group's mutex (pthread variant, racing trials): no verdict. */
    if (!c.finished) {
        snprintf(why, whysz, "the copy did not finish in %.1f s", c.secs);
        return NO_VERDICT;
    }
    int st = c.status;
    const char *msg = c.msg;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(msg, "cpat_waitgroup_")) {
        snprintf(why, whysz, "aborted: %s", msg);
        return REPORTED;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
        snprintf(why, whysz, "EINVAL");
        return REPORTED;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        snprintf(why, whysz, "returned 0");
        return SILENT;
    }
    if (WIFSIGNALED(st))
        snprintf(why, whysz, "killed by signal %d%s%s", WTERMSIG(st), msg[0] ? ": " : "", msg);
    else
        snprintf(why, whysz, "exit status %d", WEXITSTATUS(st));
    return SILENT; /* neither a message naming the call nor EINVAL */
}

/* W2, part 1: a counter taken below zero is reported; the legitimate
 * calls in between then behave as on an untouched group. */
static const struct {
    int delta;
    bool misuse;
    const char *what;
} w2_steps[] = {
    {-1, true, "done() on a zero counter"},         {-2, true, "add(-2) on a zero counter"},
    {2, false, "add(2) on a zero counter"},         {-3, true, "add(-3) on a counter of 2"},
    {-1, false, "done() on a counter of 2"},        {-1, false, "done() on a counter of 1"},
    {-1, true, "done() on a counter back at zero"},
};

static bool w2_below_zero(const struct vrun *r, struct wshared *s, char *first, size_t firstsz) {
    for (size_t i = 0; i < sizeof w2_steps / sizeof w2_steps[0]; i++) {
        int d = w2_steps[i].delta;
        if (!w2_steps[i].misuse) {
            int e = d == -1 ? s->ops->done(s->wg) : s->ops->add(s->wg, d);
            if (e) {
                vfail(r, "%s returned %d, not 0", w2_steps[i].what, e);
                return false;
            }
            continue;
        }
        char why[300];
        /* Here no other thread runs, so a copy that does not finish is a
         * slow machine more likely than a call that blocks: try again (the
         * group here is as it was), and fail only on a verdict or on three
         * copies that all blocked. */
        enum misuse_outcome m = NO_VERDICT;
        for (int try = 0; try < 3 && m == NO_VERDICT; try++)
            m = misuse_in_copy(r, s, d, why, sizeof why);
        if (m != REPORTED) {
            vfail(r, "%s was not reported: %s", w2_steps[i].what, why);
            return false;
        }
        if (!first[0])
            snprintf(first, firstsz, "%s", why);
    }
    s->ops->wait(s->wg); /* zero: must return at once (a hang is the watchdog's) */
    return true;
}

/* W2, part 2: reuse.  Per trial, the controller (thread 0) adds 1, lets
 * the waiter (thread 1) block in wait(), sleeps so that it parks, calls
 * done() and at once add(1) again, in a copy of the process: the waiter
 * has been released but has not returned, so a variant that detects reuse
 * must report that add(); when every wait() has returned, add() must
 * succeed.
 *
 * "Has not returned" is made certain, not likely: both threads run on one
 * CPU and the waiter at SCHED_IDLE, so it runs only while the controller
 * sleeps -- never between its done() and add() (otherwise a busy machine
 * lets the woken waiter preempt the controller right at the wake).  This is
 * best effort: where the system refuses it, the trials race and only some
 * test the reuse; the check wants at least one report. */
#define W2_TRIALS 20

static void w2_place(struct wshared *s, bool idle) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (idle) {
        struct sched_param p = {0};
        pthread_setschedparam(pthread_self(), SCHED_IDLE, &p);
    }
}

/* Waits for *what to reach trial; false if the check has failed.  It
 * sleeps, not yields: the idle-class waiter runs only while we sleep. */
static bool await_trial(struct vthread *t, _Atomic int *what, int trial) {
    while (!vfailed(t->r)) {
        if (atomic_load_explicit(what, memory_order_acquire) >= trial)
            return true;
        sleep_us(50);
    }
    return false;
}

static void w2_controller(struct vthread *t, struct wshared *s) {
    for (int trial = 1; trial <= W2_TRIALS; trial++) {
        int e = s->ops->add(s->wg, 1);
        if (e) {
            vfail(t->r, "add(1) with every wait() returned gave %d (trial %d)", e, trial);
            break;
        }
        atomic_store_explicit(&s->trial, trial, memory_order_release);
        if (!await_trial(t, &s->waiting, trial))
            break;
        sleep_us(2000);
        if ((e = s->ops->done(s->wg))) {
            vfail(t->r, "done() on a counter of 1 returned %d (trial %d)", e, trial);
            break;
        }
        char why[300];
        if (misuse_in_copy(t->r, s, 1, why, sizeof why) == REPORTED) {
            if (!s->detected++)
                snprintf(s->reuse_why, sizeof s->reuse_why, "%s", why);
        }
        if (!await_trial(t, &s->returned, trial))
            break;
        vtick(t);
    }
    atomic_store_explicit(&s->trial, W2_TRIALS + 1, memory_order_release); /* waiter: stop */
}

static void w2_waiter(struct vthread *t, struct wshared *s) {
    for (int trial = 1; await_trial(t, &s->trial, trial) && trial <= W2_TRIALS; trial++) {
        atomic_store_explicit(&s->waiting, trial, memory_order_release);
        s->ops->wait(s->wg);
        atomic_store_explicit(&s->returned, trial, memory_order_release);
    }
}

static void w2_thread(struct vthread *t) {
    w2_place(t->arg, t->index == 1);
    if (t->index == 0)
        w2_controller(t, t->arg);
    else
        w2_waiter(t, t->arg);
}

static int w2_run(const struct vrun *r) {
    struct wshared *s = wshared_new(r);
    char below[300] = "";
    if (!w2_below_zero(r, s, below, sizeof below))
        return VFAIL;
    const struct cpat_waitgroup_ops *ops = r->ops;
    if (!(ops->flags & CPAT_WAITGROUP_DETECTS_REUSE)) {
        wshared_free(s);
        vnote(r, "below zero: %s; reuse: variant cannot detect it", below);
        return VPASS;
    }
    s->cpu = sched_getcpu();
    vthreads_run(r, 2, w2_thread, s);
    int detected = s->detected;
    char reuse[300];
    snprintf(reuse, sizeof reuse, "%s", s->reuse_why);
    wshared_free(s);
    if (vfailed(r))
        return VFAIL;
    if (detected == 0)
        return vfail(r,
                     "add() from zero while a wait() was returning was never reported in %d "
                     "trials",
                     W2_TRIALS);
    vnote(r, "below zero: %s; reuse reported in %d of %d trials: %s", below, detected, W2_TRIALS,
          reuse);
    return VPASS;
}

/* ---- X6: the ctx-aware wait (cpat_ctx_wg_wait) ------------------------
 *
 * Rounds on one group, reused: thread 0 makes the round's context (a cancel
 * context it cancels at a random moment, or a timeout of 20-800 us) and
 * adds one per worker; odd threads are workers, the other even threads wait
 * with cpat_ctx_wg_wait.  In half the rounds the workers' done()s race the
 * end of the context; in the other half ("late") they wait until every
 * waiter has returned, so each waiter must be woken by the cancel or by its
 * deadline (a lost kick hangs there: the watchdog).  A wait that returns 0
 * must find every done() of the round made and see its worker's mark
 * (TSan); one that returns an Err must return the context's, never
 * ETIMEDOUT before the deadline.  A waiter that gave up without leaving the
 * group is found by the next round: add() aborts as on reuse, or the token
 * the zero posted for it lets a later wait return too early.  With two
 * waiters or more, half the rounds have thread 2 wait with plain wait(),
 * which a ctx waiter that leaves with its wake-up or token would strand. */

struct x6w {
    const struct cpat_waitgroup_ops *ops;
    void *wg;
    const struct cpat_context_ops *cops;
    pthread_barrier_t b;
    int nth, nworkers, nwaiters;
    /* plain: thread 0 sets them between rounds */
    long round;
    bool stop, late, plain; /* plain: thread 2 uses wait() this round */
    struct vx6_ctx c;
    long *marks;          /* plain: a worker's mark, set before its done() */
    _Atomic long dones;   /* done() calls so far, all rounds */
    _Atomic int returned; /* waiters back from the wait this round */
    _Atomic long zero, ended;
};

static void x6w_waiter(struct vthread *t, struct x6w *s) {
    vnoise(t);
    bool plain = s->plain && t->index == 2;
    int e = 0;
    if (plain)
        s->ops->wait(s->wg);
    else
        e = cpat_ctx_wg_wait(s->c.ctx, s->ops, s->wg);
    if (e == 0) {
        atomic_fetch_add_explicit(&s->zero, 1, memory_order_relaxed);
        long want = (long)s->nworkers * s->round;
        long got = atomic_load_explicit(&s->dones, memory_order_relaxed);
        if (got != want)
            vfail(t->r, "round %ld%s: cpat_ctx_wg_wait returned 0 after %ld of %d done() calls",
                  s->round, s->late ? " (late)" : "", got - want + s->nworkers, s->nworkers);
        else
            for (int w = 1; w < s->nth; w += 2)
                if (s->marks[w] != s->round)
                    vfail(t->r, "round %ld: thread %d does not see worker %d's work after wait",
                          s->round, t->index, w);
    } else {
        atomic_fetch_add_explicit(&s->ended, 1, memory_order_relaxed);
        vx6_result(t, &s->c, e, "cpat_ctx_wg_wait", s->round);
    }
    /* Release: a late worker's done() comes after this. */
    if (!plain)
        atomic_fetch_add_explicit(&s->returned, 1, memory_order_release);
}

static void x6w_worker(struct vthread *t, struct x6w *s) {
    vnoise(t);
    if (s->late)
        while (atomic_load_explicit(&s->returned, memory_order_acquire) < s->nwaiters - s->plain)
            sched_yield();
    else if (vrand(t) % 4 == 0)
        sleep_us((long)(vrand(t) % 300));
    s->marks[t->index] = s->round;
    atomic_fetch_add_explicit(&s->dones, 1, memory_order_relaxed);
    s->ops->done(s->wg);
}

static void x6w_controller(struct vthread *t, struct x6w *s) {
    if (s->c.want != ECANCELED)
        return;
    if (vrand(t) % 2)
        vnoise(t);
    else
        sleep_us((long)(vrand(t) % 600));
    cpat_ctx_cancel(s->c.ctx);
}

static void x6w_next_round(struct vthread *t, struct x6w *s) {
    s->stop = vtime_up(t) || vfailed(t->r);
    if (s->stop)
        return;
    s->round++;
    s->late = vrand(t) % 2;
    s->plain = s->nwaiters >= 2 && vrand(t) % 2;
    atomic_store_explicit(&s->returned, 0, memory_order_relaxed);
    vx6_ctx_make(t, s->cops, &s->c);
    s->ops->add(s->wg, s->nworkers); /* aborts if a waiter of the last round never left */
}

static void x6w_thread(struct vthread *t) {
    struct x6w *s = t->arg;
    for (;;) {
        if (t->index == 0)
            x6w_next_round(t, s);
        pthread_barrier_wait(&s->b);
        if (s->stop)
            return;
        if (t->index == 0)
            x6w_controller(t, s);
        else if (t->index % 2)
            x6w_worker(t, s);
        else
            x6w_waiter(t, s);
        vtick(t);
        pthread_barrier_wait(&s->b);
        if (t->index == 0) {
            cpat_ctx_release(s->c.ctx);
            s->c.ctx = NULL;
        }
    }
}

static int x6w_run(const struct vrun *r) {
    struct x6w *s = calloc(1, sizeof *s);
    s->ops = r->ops;
    s->cops = &cpat_context_futex_ops;
    s->wg = cpat_obj_new(s->ops->size, s->ops->align);
    int e = s->ops->init(s->wg);
    if (e)
        cpat_die("waitgroup init", e);
    s->nth = r->threads < 3 ? 3 : r->threads;
    s->nworkers = s->nth / 2;
    s->nwaiters = (s->nth - 1) / 2;
    s->marks = calloc((size_t)s->nth, sizeof *s->marks);
    pthread_barrier_init(&s->b, NULL, (unsigned)s->nth);
    vthreads_run(r, s->nth, x6w_thread, s);
    pthread_barrier_destroy(&s->b);
    long rounds = s->round, zero = s->zero, ended = s->ended;
    int nworkers = s->nworkers, nwaiters = s->nwaiters;
    s->ops->destroy(s->wg);
    free(s->wg);
    free(s->marks);
    free(s);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds, %d workers, %d waiters: %ld waits saw the zero, %ld the context end",
          rounds, nworkers, nwaiters, zero, ended);
    return VPASS;
}

static const struct vcheck waitgroup_checks[] = {
    {"W1", "wait never returns before the counter reaches zero", w1_run, false, false},
    {"W2", "misuse is reported: counter below zero; reuse while a wait is returning", w2_run, true,
     false},
    {"X6",
     "the ctx-aware wait returns Err after cancel, 0 only at zero; a waiter that gives up "
     "leaves the group",
     x6w_run, false, false},
};

static size_t waitgroup_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_waitgroup *mu = vmutants_waitgroup; mu->ops && n < max; mu++)
            out[n++] = (struct vimpl){mu->ops->name, mu->ops, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_waitgroup_ops *const *o = cpat_waitgroup_registry; *o && n < max; o++)
        if (strcmp((*o)->kind, "null") != 0) /* null waits for nothing */
            out[n++] = (struct vimpl){(*o)->name, *o, false, false};
    return n;
}

const struct vpattern vpattern_waitgroup = {"waitgroup", waitgroup_checks,
                                            sizeof waitgroup_checks / sizeof waitgroup_checks[0],
                                            waitgroup_impls};
