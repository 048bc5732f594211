/* once checks O1-O2 (../shared/GUARANTEES.md).  The function's effect is
 * plain data so that ThreadSanitizer sees any missing happens-before. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpat/error.h"
#include "cpat/registry.h"
#include "harness.h"
#include "mutants/mutants.h"

/* Rounds: thread 0 makes a fresh once, all threads call do() on it twice
 * (arriving at random moments: some race to run fn, some wait for it, some
 * find it done), then they meet at a barrier and thread 0 checks the round.
 * fn sometimes sleeps, so that waiters of parking variants do park. */
struct oshared {
    const struct cpat_once_ops *ops;
    bool visibility; /* O2 checks what callers see; O1 counts runs */
    pthread_barrier_t round_barrier;
    /* plain: thread 0 sets them between rounds (the barriers order them) */
    void *o;
    long round;
    bool stop;
    _Atomic long runs;     /* fn calls over all rounds */
    _Atomic long finished; /* round whose fn has returned */
    long value;            /* plain: fn's effect, the round number */
};

static void once_fn(void *arg) {
    struct vthread *t = arg; /* the winning caller's */
    struct oshared *s = t->arg;
    atomic_fetch_add_explicit(&s->runs, 1, memory_order_relaxed);
    if (vrand(t) % 8 == 0) {
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
    } else {
        vnoise(t);
    }
    s->value = s->round;
    atomic_store_explicit(&s->finished, s->round, memory_order_relaxed);
}

/* What a caller must find once do() has returned. */
static void o_after_do(struct vthread *t, struct oshared *s) {
    if (s->visibility) {
        long fin = atomic_load_explicit(&s->finished, memory_order_relaxed);
        if (fin != s->round)
            vfail(t->r, "round %ld: do() returned in thread %d before fn had returned", s->round,
                  t->index);
        else if (s->value != s->round)
            vfail(t->r, "round %ld: thread %d does not see fn's effect after do()", s->round,
                  t->index);
        return;
    }
    long runs = atomic_load_explicit(&s->runs, memory_order_relaxed);
    if (runs != s->round)
        vfail(t->r, "round %ld: fn has run %ld times in %ld rounds (seen by thread %d)", s->round,
              runs, s->round, t->index);
}

/* Between rounds, on thread 0: retire the last once and make the next. */
static void o_next_round(struct vthread *t, struct oshared *s) {
    if (s->o) {
        s->ops->destroy(s->o);
        free(s->o);
    }
    s->stop = vtime_up(t) || vfailed(t->r);
    if (s->stop)
        return;
    s->o = cpat_obj_new(s->ops->size, s->ops->align);
    int e = s->ops->init(s->o);
    if (e)
        cpat_die("once init", e);
    s->round++;
}

static void o_thread(struct vthread *t) {
    struct oshared *s = t->arg;
    for (;;) {
        if (t->index == 0)
            o_next_round(t, s);
        pthread_barrier_wait(&s->round_barrier);
        if (s->stop)
            return;
        vnoise(t);
        s->ops->do_once(s->o, once_fn, t);
        o_after_do(t, s);
        s->ops->do_once(s->o, once_fn, t); /* a done once never runs fn again */
        o_after_do(t, s);
        vtick(t);
        pthread_barrier_wait(&s->round_barrier);
    }
}

static int o_run(const struct vrun *r, bool visibility) {
    struct oshared *s = calloc(1, sizeof *s);
    s->ops = r->ops;
    s->visibility = visibility;
    pthread_barrier_init(&s->round_barrier, NULL, (unsigned)r->threads);
    vthreads_run(r, r->threads, o_thread, s);
    pthread_barrier_destroy(&s->round_barrier);
    long rounds = s->round;
    free(s);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds", rounds);
    return VPASS;
}

static int o1_run(const struct vrun *r) {
    return o_run(r, false);
}

static int o2_run(const struct vrun *r) {
    return o_run(r, true);
}

static const struct vcheck once_checks[] = {
    {"O1", "the function runs exactly once under contention", o1_run, false, false},
    {"O2", "every caller returns after the function's effects and sees them", o2_run, false, false},
};

static size_t once_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_once *mu = vmutants_once; mu->ops && n < max; mu++)
            out[n++] = (struct vimpl){mu->ops->name, mu->ops, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_once_ops *const *o = cpat_once_registry; *o && n < max; o++)
        out[n++] = (struct vimpl){(*o)->name, *o, false, false};
    return n;
}

const struct vpattern vpattern_once = {"once", once_checks,
                                       sizeof once_checks / sizeof once_checks[0], once_impls};
