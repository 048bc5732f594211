#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
