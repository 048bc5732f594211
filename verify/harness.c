#include "harness.h"

#include "cpat/context.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/spin.h"
#include "cpat/error.h"

double vrun_seconds(const char *id, double s) {
    static const char *const outlast_budget[] = {"M4", "R3"};
    for (size_t i = 0; i < sizeof outlast_budget / sizeof outlast_budget[0]; i++)
        if (strcmp(id, outlast_budget[i]) == 0 && s < 1.2 * VERIFY_WAIT_BUDGET_NS / 1e9)
            return 1.2 * VERIFY_WAIT_BUDGET_NS / 1e9;
    return s;
}

uint64_t vrand(struct vthread *t) {
    uint64_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return t->rng = x;
}

void vnoise(struct vthread *t) {
    uint64_t r = vrand(t);
    if (r % 64 == 0)
        sched_yield();
    else if (r % 8 == 0)
        for (uint64_t i = (r >> 8) % 256; i; i--)
            cpat_cpu_relax();
}

bool vtime_up(const struct vthread *t) {
    return cpat_now_ns() >= t->deadline_ns;
}

void vtick_flush(struct vthread *t) {
    atomic_fetch_add_explicit(&t->r->sh->progress, t->pending_ticks, memory_order_relaxed);
    t->pending_ticks = 0;
}

void vtick(struct vthread *t) {
    if (++t->pending_ticks == 64)
        vtick_flush(t);
}

static void *vthread_main(void *p) {
    struct vthread *t = p;
    t->fn(t);
    vtick_flush(t);
    return NULL;
}

void vthreads_run(const struct vrun *r, int n, void (*fn)(struct vthread *t), void *arg) {
    struct vthread *t = calloc((size_t)n, sizeof *t);
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    if (!t || !tid)
        cpat_die("calloc", ENOMEM);
    uint64_t deadline = cpat_now_ns() + (uint64_t)(r->seconds * 1e9);
    for (int i = 0; i < n; i++) {
        t[i] = (struct vthread){.r = r,
                                .index = i,
                                .rng = (r->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(i + 1))) | 1,
                                .deadline_ns = deadline,
                                .arg = arg,
                                .fn = fn};
        int e = pthread_create(&tid[i], NULL, vthread_main, &t[i]);
        if (e)
            cpat_die("pthread_create", e);
    }
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    free(t);
    free(tid);
}

int vfail(const struct vrun *r, const char *fmt, ...) {
    int expect = 0;
    /* First failure wins; the others would only repeat it.  Relaxed: the
     * flag only tells the check's threads to stop; the message is read by
     * the runner after the child has exited. */
    if (atomic_compare_exchange_strong_explicit(&r->sh->failed, &expect, 1, memory_order_relaxed,
                                                memory_order_relaxed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->sh->fail, sizeof r->sh->fail, fmt, ap);
        va_end(ap);
    }
    return VFAIL;
}

bool vfailed(const struct vrun *r) {
    return atomic_load_explicit(&r->sh->failed, memory_order_relaxed); /* see vfail */
}

void vnote(const struct vrun *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->sh->note, sizeof r->sh->note, fmt, ap);
    va_end(ap);
}

/* vparks_run (harness.h). */
struct vparks {
    void (*take)(void *obj, int who), (*release)(void *obj, int who);
    void *obj;
    _Atomic int round; /* thread 0 holds the lock for round n: n; -1: done */
    long looks, runnable;
    struct {
        _Atomic int tid;    /* the waiter's kernel thread id */
        _Atomic int inside; /* it is inside take() */
    } w[];
};

/* The state letter of thread tid ('R', 'S', ...), or 0 if unreadable. */
static char task_state(int tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* "tid (comm) S ...": comm may hold spaces */
    return p && p[1] == ' ' ? p[2] : 0;
}

static void vparks_sleep(uint64_t ns) {
    struct timespec ts = cpat_ns_to_timespec(ns);
    nanosleep(&ts, NULL);
}

static void vparks_hold(struct vthread *t, struct vparks *x, int n) {
    x->take(x->obj, 0);
    atomic_store_explicit(&x->round, n, memory_order_relaxed);
    for (int look = 0; look < VPARKS_LOOKS; look++) {
        vparks_sleep(VPARKS_HOLD_NS / (VPARKS_LOOKS + 1));
        for (int i = 1; i < t->r->threads; i++) {
            if (!atomic_load_explicit(&x->w[i].inside, memory_order_relaxed))
                continue;
            char st = task_state(atomic_load_explicit(&x->w[i].tid, memory_order_relaxed));
            if (st) {
                x->looks++;
                x->runnable += st == 'R';
            }
        }
    }
    vparks_sleep(VPARKS_HOLD_NS / (VPARKS_LOOKS + 1));
    x->release(x->obj, 0);
}

static void vparks_thread(struct vthread *t) {
    struct vparks *x = t->arg;
    if (t->index == 0) {
        for (int n = 1; !vtime_up(t); n++) {
            vparks_hold(t, x, n);
            vtick(t);
            vparks_sleep(VPARKS_HOLD_NS / 10); /* let the waiters through */
        }
        atomic_store_explicit(&x->round, -1, memory_order_relaxed);
        return;
    }
    atomic_store_explicit(&x->w[t->index].tid, (int)gettid(), memory_order_relaxed);
    for (int seen = 0;;) {
        int n = atomic_load_explicit(&x->round, memory_order_relaxed);
        if (n < 0)
            break;
        if (n == seen) { /* between holds: wait for the next one, off the CPU */
            vparks_sleep(VPARKS_HOLD_NS / 40);
            vtick(t);
            continue;
        }
        seen = n;
        atomic_store_explicit(&x->w[t->index].inside, 1, memory_order_relaxed);
        x->take(x->obj, t->index);
        atomic_store_explicit(&x->w[t->index].inside, 0, memory_order_relaxed);
        x->release(x->obj, t->index);
        vtick(t);
    }
}

int vparks_run(const struct vrun *r, bool parks, void (*take)(void *obj, int who),
               void (*release)(void *obj, int who), void *obj) {
    if (r->threads < 2)
        return VSKIP;
    struct vparks *x = calloc(1, sizeof *x + (size_t)r->threads * sizeof x->w[0]);
    if (!x)
        cpat_die("calloc", ENOMEM);
    x->take = take;
    x->release = release;
    x->obj = obj;
    vthreads_run(r, r->threads, vparks_thread, x);
    long looks = x->looks, runnable = x->runnable;
    free(x);
    if (looks == 0) {
        vnote(r, "no waiter seen waiting (no /proc?)");
        return VSKIP;
    }
    vnote(r, "waiters runnable at %ld of %ld looks", runnable, looks);
    if (!parks)
        return VSKIP;
    if (2 * runnable > looks)
        return vfail(r,
                     "waiters were runnable at %ld of %ld looks while the holder slept: they "
                     "spin, yet the variant says it parks",
                     runnable, looks);
    return VPASS;
}

void vx6_ctx_make(struct vthread *t, const struct cpat_context_ops *ops, struct vx6_ctx *c) {
    cpat_ctx *bg = cpat_ctx_background(ops);
    int e;
    if (vrand(t) % 3 == 0) {
        uint64_t tmo = 20000 + vrand(t) % 800000;
        c->deadline = cpat_now_ns() + tmo; /* before the context's own: never later */
        e = cpat_ctx_with_timeout(bg, tmo, &c->ctx);
        c->want = ETIMEDOUT;
    } else {
        c->deadline = UINT64_MAX;
        e = cpat_ctx_with_cancel(bg, &c->ctx);
        c->want = ECANCELED;
    }
    if (e)
        cpat_die("cpat_ctx_with_*", e);
}

bool vx6_result(struct vthread *t, const struct vx6_ctx *c, int e, const char *op, long round) {
    int err = cpat_ctx_err(c->ctx);
    if (e != c->want || err != e) {
        vfail(t->r, "round %ld: %s returned %d; want 0 or %d (Err is %d)", round, op, e, c->want,
              err);
        return false;
    }
    uint64_t now = cpat_now_ns();
    if (e == ETIMEDOUT && now < c->deadline) {
        vfail(t->r, "round %ld: %s returned ETIMEDOUT %.1f us early", round, op,
              (double)(c->deadline - now) / 1e3);
        return false;
    }
    return true;
}
