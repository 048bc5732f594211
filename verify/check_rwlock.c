/* rwlock checks R1-R3 (../shared/GUARANTEES.md), R4, the rwlock's M5, and
 * R5 (the PARKS flag).
 * Critical sections touch plain data so that ThreadSanitizer sees any
 * missing happens-before. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/spin.h"
#include "cpat/error.h"
#include "cpat/registry.h"
#include "harness.h"
#include "mutants/mutants.h"

/* Readers add 1 to the activity counter, writers WRITER: inside, a writer
 * must see exactly WRITER and a reader less than WRITER. */
#define WRITER 10000L

struct rshared {
    const struct cpat_rwlock_ops *ops;
    void *l;
    _Atomic long activity;
    long x, y;           /* plain: a writer sets both, a reader finds them equal */
    _Atomic long writes; /* R1: sum of the threads' own write counts */
    /* R2 rounds */
    pthread_barrier_t round;
    bool stop;           /* plain: thread 0 sets it before the round's first barrier */
    _Atomic int inside;  /* readers holding the lock this round */
    _Atomic int checked; /* thread 0 has tried trywr this round */
    /* R3 */
    _Atomic uint64_t worst_wait_ns;
};

static struct rshared *rshared_new(const struct vrun *r) {
    struct rshared *s = calloc(1, sizeof *s);
    s->ops = r->ops;
    s->l = cpat_obj_new(s->ops->size, s->ops->align);
    int e = s->ops->init(s->l);
    if (e)
        cpat_die("rwlock init", e);
    return s;
}

static void rshared_free(struct rshared *s) {
    s->ops->destroy(s->l);
    free(s->l);
    free(s);
}

static void unlocked(struct vthread *t, int e, const char *call) {
    if (e)
        vfail(t->r, "thread %d: %s of a lock it held returned %d", t->index, call, e);
}

static void read_enter(struct vthread *t, struct rshared *s) {
    long a = atomic_fetch_add_explicit(&s->activity, 1, memory_order_relaxed) + 1;
    if (a >= WRITER)
        vfail(t->r, "reader (thread %d) got in while a writer held the lock", t->index);
    if (s->x != s->y)
        vfail(t->r, "reader (thread %d) saw a half-done write (x %ld, y %ld)", t->index, s->x,
              s->y);
}

static void read_leave(struct rshared *s) {
    atomic_fetch_sub_explicit(&s->activity, 1, memory_order_relaxed);
}

/* A write that a reader or another writer inside with us would see half
 * done, or lose. */
static void write_section(struct vthread *t, struct rshared *s) {
    long a = atomic_fetch_add_explicit(&s->activity, WRITER, memory_order_relaxed) + WRITER;
    if (a != WRITER)
        vfail(t->r, "writer (thread %d) got in with %ld reader(s) and %ld other writer(s) inside",
              t->index, a % WRITER, a / WRITER - 1);
    long v = s->y;
    s->x = v + 1;
    vnoise(t);
    s->y = v + 1;
    atomic_fetch_sub_explicit(&s->activity, WRITER, memory_order_relaxed);
}

/* R1.  Every thread mixes rdlock, tryrd, wrlock and trywr at random; every
 * section checks the activity counter and the plain pair (x, y), and y
 * must end up equal to the number of writes. */
static void r1_thread(struct vthread *t) {
    struct rshared *s = t->arg;
    long writes = 0;
    while (!vtime_up(t) && !vfailed(t->r)) {
        unsigned dice = (unsigned)(vrand(t) % 16);
        if (dice < 4) { /* a write: 3 in 4 by wrlock, 1 in 4 by trywr */
            if (dice < 3)
                s->ops->wrlock(s->l);
            else if (s->ops->trywr(s->l))
                continue;
            write_section(t, s);
            writes++;
            unlocked(t, s->ops->wrunlock(s->l), "wrunlock");
        } else { /* a read: 5 in 6 by rdlock, 1 in 6 by tryrd */
            if (dice < 14)
                s->ops->rdlock(s->l);
            else if (s->ops->tryrd(s->l))
                continue;
            read_enter(t, s);
            vnoise(t);
            read_leave(s);
            unlocked(t, s->ops->rdunlock(s->l), "rdunlock");
        }
        vnoise(t);
        vtick(t);
    }
    atomic_fetch_add_explicit(&s->writes, writes, memory_order_relaxed);
}

static int r1_run(const struct vrun *r) {
    struct rshared *s = rshared_new(r);
    vthreads_run(r, r->threads, r1_thread, s);
    long want = atomic_load_explicit(&s->writes, memory_order_relaxed);
    long got = s->y; /* the joins order every thread's last unlock before this read */
    rshared_free(s);
    if (vfailed(r))
        return VFAIL;
    if (got != want)
        return vfail(r, "y is %ld after %ld writes: writers overlapped", got, want);
    vnote(r, "%ld writes", want);
    return VPASS;
}

/* Waits up to the budget for *counter to reach n; false if it did not. */
static bool await_count(_Atomic int *counter, int n) {
    uint64_t give_up = cpat_now_ns() + VERIFY_WAIT_BUDGET_NS;
    while (atomic_load_explicit(counter, memory_order_acquire) < n) {
        if (cpat_now_ns() > give_up)
            return false;
        sched_yield();
    }
    return true;
}

/* R2.  Each round every thread takes a read lock (odd threads by tryrd,
 * which must succeed: no writer is about) and holds it until all are
 * inside; while they all hold it, thread 0 checks that trywr fails at once.
 * Rounds are separated by barriers; thread 0 decides when to stop. */
static void r2_thread(struct vthread *t) {
    struct rshared *s = t->arg;
    int n = t->r->threads;
    for (;;) {
        if (t->index == 0) {
            atomic_store_explicit(&s->inside, 0, memory_order_relaxed);
            atomic_store_explicit(&s->checked, 0, memory_order_relaxed);
            s->stop = vtime_up(t) || vfailed(t->r);
        }
        pthread_barrier_wait(&s->round);
        if (s->stop)
            return;
        int e = t->index % 2 ? s->ops->tryrd(s->l) : 0;
        if (e)
            vfail(t->r, "tryrd with only readers about returned %d (thread %d)", e, t->index);
        if (e || t->index % 2 == 0)
            s->ops->rdlock(s->l);
        atomic_fetch_add_explicit(&s->inside, 1, memory_order_release);
        if (!await_count(&s->inside, n))
            vfail(t->r, "only %d of %d readers got the lock at once",
                  atomic_load_explicit(&s->inside, memory_order_relaxed), n);
        if (t->index == 0) {
            if ((e = s->ops->trywr(s->l)) == 0) {
                vfail(t->r, "trywr succeeded while %d readers held the lock", n);
                s->ops->wrunlock(s->l);
            } else if (e != EAGAIN) {
                vfail(t->r, "trywr on a read-held lock returned %d, not EAGAIN", e);
            }
            atomic_store_explicit(&s->checked, 1, memory_order_release);
        } else if (!await_count(&s->checked, 1)) {
            vfail(t->r, "trywr on a read-held lock did not return (it blocks)");
        }
        unlocked(t, s->ops->rdunlock(s->l), "rdunlock");
        vtick(t);
        pthread_barrier_wait(&s->round);
    }
}

static int r2_run(const struct vrun *r) {
    struct rshared *s = rshared_new(r);
    pthread_barrier_init(&s->round, NULL, (unsigned)r->threads);
    vthreads_run(r, r->threads, r2_thread, s);
    pthread_barrier_destroy(&s->round);
    rshared_free(s);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%d readers inside together, every round", r->threads);
    return VPASS;
}

static void spin_for_ns(uint64_t ns) {
    uint64_t until = cpat_now_ns() + ns;
    while (cpat_now_ns() < until)
        cpat_cpu_relax();
}

/* R3.  Threads 1.. are readers that hold the lock 50-250 us at a time and
 * re-lock at once, so that with two or more of them the lock is never free
 * of readers; thread 0 is a writer that times every wrlock.  A writer-
 * preferring lock stops admitting readers once the writer waits, so the
 * writer gets in within the budget; a reader-preferring one may starve it
 * until the readers stop (the run lasts past the budget, as M4's). */
static void r3_thread(struct vthread *t) {
    struct rshared *s = t->arg;
    uint64_t worst = 0;
    while (!vtime_up(t) && !vfailed(t->r)) {
        if (t->index == 0) {
            uint64_t t0 = cpat_now_ns();
            s->ops->wrlock(s->l);
            uint64_t waited = cpat_now_ns() - t0;
            write_section(t, s);
            unlocked(t, s->ops->wrunlock(s->l), "wrunlock");
            if (waited > worst)
                worst = waited;
            spin_for_ns(vrand(t) % 50000); /* let the readers back in */
        } else {
            s->ops->rdlock(s->l);
            read_enter(t, s);
            spin_for_ns(50000 + vrand(t) % 200000);
            read_leave(s);
            unlocked(t, s->ops->rdunlock(s->l), "rdunlock");
        }
        vtick(t);
    }
    if (t->index == 0)
        atomic_store_explicit(&s->worst_wait_ns, worst, memory_order_relaxed);
}

static int r3_run(const struct vrun *r) {
    if (r->threads < 2)
        return VSKIP;
    struct vrun longer = *r;
    longer.seconds = vrun_seconds(r->check, r->seconds);
    struct rshared *s = rshared_new(r);
    vthreads_run(&longer, r->threads, r3_thread, s);
    uint64_t worst = atomic_load_explicit(&s->worst_wait_ns, memory_order_relaxed);
    rshared_free(s);
    if (vfailed(r))
        return VFAIL;
    const struct cpat_rwlock_ops *ops = r->ops;
    if (!(ops->flags & CPAT_RWLOCK_WRITER_PREFERRING)) {
        vnote(r, "worst writer wait %.3f ms; not writer-preferring, no bound to hold it to",
              worst / 1e6);
        return VSKIP;
    }
    vnote(r, "worst writer wait %.3f ms", worst / 1e6);
    if (worst > VERIFY_WAIT_BUDGET_NS)
        return vfail(r, "a writer waited %.3f ms behind %d reader(s) (budget %.0f ms)", worst / 1e6,
                     r->threads - 1, VERIFY_WAIT_BUDGET_NS / 1e6);
    return VPASS;
}

/* R4.  rdunlock / wrunlock of a lock not so held must return EINVAL in
 * variants that declare they detect it (an abort with a message also
 * counts); the matching unlocks must still return 0. */
enum r4_op { RD, RDUN, WR, WRUN };
static const struct {
    enum r4_op op;
    int want;
    const char *what;
} r4_steps[] = {
    {RDUN, EINVAL, "rdunlock of a never-locked lock"},
    {WRUN, EINVAL, "wrunlock of a never-locked lock"},
    {RD, 0, "rdlock"},
    {WRUN, EINVAL, "wrunlock of a read-held lock"},
    {RDUN, 0, "rdunlock of a read-held lock"},
    {RDUN, EINVAL, "second rdunlock"},
    {WR, 0, "wrlock"},
    {RDUN, EINVAL, "rdunlock of a write-held lock"},
    {WRUN, 0, "wrunlock of a write-held lock"},
    {WRUN, EINVAL, "second wrunlock"},
};

static int r4_step(const struct cpat_rwlock_ops *ops, void *l, enum r4_op op) {
    switch (op) {
    case RD:
        ops->rdlock(l);
        return 0;
    case RDUN:
        return ops->rdunlock(l);
    case WR:
        ops->wrlock(l);
        return 0;
    case WRUN:
        return ops->wrunlock(l);
    }
    return -1;
}

static int r4_run(const struct vrun *r) {
    const struct cpat_rwlock_ops *ops = r->ops;
    if (!(ops->flags & CPAT_RWLOCK_DETECTS_BAD_UNLOCK)) {
        vnote(r, "variant cannot detect it");
        return VSKIP;
    }
    struct rshared *s = rshared_new(r);
    for (size_t i = 0; i < sizeof r4_steps / sizeof r4_steps[0]; i++) {
        int e = r4_step(ops, s->l, r4_steps[i].op);
        if (e != r4_steps[i].want)
            return vfail(r, "%s returned %d, not %s", r4_steps[i].what, e,
                         r4_steps[i].want ? "EINVAL" : "0");
    }
    rshared_free(s);
    vnote(r, "EINVAL");
    return VPASS;
}

/* R5 (beyond GUARANTEES.md: the PARKS flag).  Thread 0 holds the write
 * lock, asleep; odd waiters read-lock, even ones write-lock.  A variant
 * that says it parks must not have them runnable (harness.h). */
static void r5_take(void *p, int who) {
    struct rshared *s = p;
    if (who == 0 || who % 2 == 0)
        s->ops->wrlock(s->l);
    else
        s->ops->rdlock(s->l);
}
static void r5_release(void *p, int who) {
    struct rshared *s = p;
    if (who == 0 || who % 2 == 0)
        s->ops->wrunlock(s->l);
    else
        s->ops->rdunlock(s->l);
}

static int r5_run(const struct vrun *r) {
    struct rshared *s = rshared_new(r);
    const struct cpat_rwlock_ops *ops = r->ops;
    int v = vparks_run(r, ops->flags & CPAT_RWLOCK_PARKS, r5_take, r5_release, s);
    rshared_free(s);
    return v;
}

static const struct vcheck rwlock_checks[] = {
    {"R1", "a writer excludes readers and writers", r1_run, false, false},
    {"R2", "N readers can hold the lock at once", r2_run, false, false},
    {"R3", "a waiting writer blocks new readers and gets in within a budget", r3_run, false, false},
    {"R4", "rdunlock/wrunlock of a lock not so held is detected", r4_run, true, true},
    {"R5", "a variant that says it parks does not spin while the writer sleeps", r5_run, false,
     false},
};

static size_t rwlock_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_rwlock *mu = vmutants_rwlock; mu->ops && n < max; mu++)
            out[n++] = (struct vimpl){mu->ops->name, mu->ops, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_rwlock_ops *const *o = cpat_rwlock_registry; *o && n < max; o++)
        if (strcmp((*o)->kind, "null") != 0) /* null is not a lock */
            out[n++] = (struct vimpl){(*o)->name, *o, false, false};
    return n;
}

const struct vpattern vpattern_rwlock = {
    "rwlock", rwlock_checks, sizeof rwlock_checks / sizeof rwlock_checks[0], rwlock_impls};
