/* Mutex checks M1-M5 (../shared/GUARANTEES.md) and M6 (the PARKS flag).  Critical sections touch
 * plain data so that ThreadSanitizer sees any missing happens-before. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/spin.h"
#include "cpat/context.h"
#include "cpat/error.h"
#include "cpat/registry.h"
#include "harness.h"
#include "mutants/mutants.h"

struct mshared {
    const struct cpat_mutex_ops *ops;
    void *m;
    _Atomic int held;     /* M1/M3: holders inside the critical section */
    long counter;         /* M2: plain, guarded by the lock */
    _Atomic long counted; /* M2: sum of the threads' own counts */
    /* M3 rounds */
    _Atomic int round_held; /* thread 0 holds the lock for round n: n */
    _Atomic int round_done; /* trylockers finished with the round */
    _Atomic int stop;
    /* M4 */
    _Atomic uint64_t worst_wait_ns;
};

static struct mshared *mshared_new(const struct vrun *r) {
    struct mshared *s = calloc(1, sizeof *s);
    s->ops = r->ops;
    s->m = cpat_obj_new(s->ops->size, s->ops->align);
    int e = s->ops->init(s->m);
    if (e)
        cpat_die("mutex init", e);
    return s;
}

static void mshared_free(struct mshared *s) {
    s->ops->destroy(s->m);
    free(s->m);
    free(s);
}

/* Entering and leaving the critical section, with a held flag: seeing it
 * already set on entry, or not set on exit, means two holders. */
static bool enter(struct vthread *t, struct mshared *s) {
    if (atomic_exchange_explicit(&s->held, 1, memory_order_relaxed) != 0) {
        vfail(t->r, "two holders at once: thread %d entered while the lock was held", t->index);
        return false;
    }
    return true;
}

static bool leave(struct vthread *t, struct mshared *s) {
    if (atomic_exchange_explicit(&s->held, 0, memory_order_relaxed) != 1) {
        vfail(t->r, "two holders at once: thread %d found the held flag cleared on exit", t->index);
        return false;
    }
    return true;
}

static void m1_thread(struct vthread *t) {
    struct mshared *s = t->arg;
    while (!vtime_up(t) && !vfailed(t->r)) {
        s->ops->lock(s->m);
        bool ok = enter(t, s);
        vnoise(t);
        ok = ok && leave(t, s);
        s->ops->unlock(s->m);
        vnoise(t);
        vtick(t);
    }
}

static int m1_run(const struct vrun *r) {
    struct mshared *s = mshared_new(r);
    vthreads_run(r, r->threads, m1_thread, s);
    mshared_free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

static void m2_thread(struct vthread *t) {
    struct mshared *s = t->arg;
    long mine = 0;
    while (!vtime_up(t)) {
        s->ops->lock(s->m);
        long v = s->counter; /* read, maybe get preempted, write back: */
        vnoise(t);           /* a second holder or a stale read loses updates */
        s->counter = v + 1;
        s->ops->unlock(s->m);
        mine++;
        vtick(t);
    }
    atomic_fetch_add_explicit(&s->counted, mine, memory_order_relaxed);
}

static int m2_run(const struct vrun *r) {
    struct mshared *s = mshared_new(r);
    vthreads_run(r, r->threads, m2_thread, s);
    long want = atomic_load_explicit(&s->counted, memory_order_relaxed);
    /* The joins order every thread's last unlock before this read. */
    long got = s->counter;
    mshared_free(s);
    if (got != want)
        return vfail(r, "counter is %ld after %ld locked increments: updates lost", got, want);
    vnote(r, "%ld increments", want);
    return VPASS;
}

/* M3.  Thread 0 holds the lock for a round while the others call trylock
 * 100 times each (every call must fail, and must return: a trylock that
 * blocks stalls the round and the watchdog reports it); then all threads
 * trylock a free-for-all in which every success must be exclusive. */
#define M3_TRIES 100

static void m3_free_for_all(struct vthread *t, struct mshared *s) {
    for (int i = 0; i < 200 && !vfailed(t->r); i++) {
        if (s->ops->trylock(s->m) == 0) {
            bool ok = enter(t, s);
            vnoise(t);
            ok = ok && leave(t, s);
            s->ops->unlock(s->m);
        }
        vtick(t);
    }
}

/* Thread 0 runs the rounds until time is up, then raises stop. */
static void m3_holder(struct vthread *t, struct mshared *s) {
    int others = t->r->threads - 1;
    for (int round = 1; !vtime_up(t) && !vfailed(t->r); round++) {
        s->ops->lock(s->m);
        atomic_store_explicit(&s->round_done, 0, memory_order_relaxed);
        /* Release pairs with the trylockers' acquire load of round_held:
         * they see round_done reset before they start the round. */
        atomic_store_explicit(&s->round_held, round, memory_order_release);
        /* Acquire pairs with each trylocker's release increment. */
        while (atomic_load_explicit(&s->round_done, memory_order_acquire) < others &&
               !vfailed(t->r))
            sched_yield();
        s->ops->unlock(s->m);
        /* The others wait for -round, so the lock is free: trylock must succeed. */
        int e = s->ops->trylock(s->m);
        if (e) {
            vfail(t->r, "trylock of a free lock returned %d", e);
            break;
        }
        s->ops->unlock(s->m);
        atomic_store_explicit(&s->round_held, -round, memory_order_release);
        m3_free_for_all(t, s);
    }
    atomic_store_explicit(&s->stop, 1, memory_order_release);
}

/* Waits until round_held == value (or, with leave, until it no longer is). */
static bool m3_await(struct vthread *t, struct mshared *s, int value, bool leave) {
    while ((atomic_load_explicit(&s->round_held, memory_order_acquire) == value) == leave) {
        if (atomic_load_explicit(&s->stop, memory_order_acquire) || vfailed(t->r))
            return false;
        sched_yield();
    }
    return true;
}

static void m3_trylocker(struct vthread *t, struct mshared *s) {
    for (int round = 1; m3_await(t, s, round, false); round++) {
        for (int i = 0; i < M3_TRIES && !vfailed(t->r); i++) {
            if (s->ops->trylock(s->m) == 0) {
                vfail(t->r, "trylock succeeded while thread 0 held the lock (round %d)", round);
                break;
            }
            vtick(t);
        }
        atomic_fetch_add_explicit(&s->round_done, 1, memory_order_release);
        /* Thread 0 may be in round+1 already by the time we look. */
        if (!m3_await(t, s, round, true))
            return;
        m3_free_for_all(t, s);
    }
}

static void m3_thread(struct vthread *t) {
    if (t->index == 0)
        m3_holder(t, t->arg);
    else
        m3_trylocker(t, t->arg);
}

static int m3_run(const struct vrun *r) {
    if (r->threads < 2)
        return VSKIP;
    struct mshared *s = mshared_new(r);
    vthreads_run(r, r->threads, m3_thread, s);
    mshared_free(s);
    return vfailed(r) ? VFAIL : VPASS;
}
/* M4.  Thread 0 re-locks in a loop (short critical section, short gap);
 * the others time every lock() they make.  Every wait must end within
 * VERIFY_WAIT_BUDGET_NS; the worst one is reported either way (a variant
 * flagged CPAT_MUTEX_UNBOUNDED only reports it).  The run
 * lasts longer than the budget (see m4_run). */
static void m4_thread(struct vthread *t) {
    struct mshared *s = t->arg;
    uint64_t worst = 0;
    while (!vtime_up(t)) {
        uint64_t t0 = cpat_now_ns();
        s->ops->lock(s->m);
        uint64_t waited = cpat_now_ns() - t0;
        s->counter++; /* plain data under the lock: TSan checks M4's hand-offs too */
        vnoise(t);
        s->ops->unlock(s->m);
        if (waited > worst)
            worst = waited;
        if (t->index == 0) /* the re-locker: straight back in */
            vnoise(t);
        else
            for (int i = (int)(vrand(t) % 1024); i; i--) /* a waiter: think a little */
                cpat_cpu_relax();
        vtick(t);
    }
    if (t->index == 0)
        return; /* the re-locker's own waits are not the point */
    uint64_t prev = atomic_load_explicit(&s->worst_wait_ns, memory_order_relaxed);
    while (worst > prev &&
           !atomic_compare_exchange_weak_explicit(&s->worst_wait_ns, &prev, worst,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

static int m4_run(const struct vrun *r) {
    if (r->threads < 2)
        return VSKIP;
    /* A wait cannot outlast the re-locker, so run past the budget: otherwise
     * a starving lock could never fail. */
    struct vrun longer = *r;
    longer.seconds = vrun_seconds(r->check, r->seconds);
    struct mshared *s = mshared_new(r);
    vthreads_run(&longer, r->threads, m4_thread, s);
    uint64_t worst = atomic_load_explicit(&s->worst_wait_ns, memory_order_relaxed);
    mshared_free(s);
    const struct cpat_mutex_ops *ops = r->ops;
    if (ops->flags & CPAT_MUTEX_UNBOUNDED) {
        vnote(r, "worst wait %.3f ms; no bounded-wait promise to hold it to", worst / 1e6);
        return VSKIP;
    }
    vnote(r, "worst wait %.3f ms", worst / 1e6);
    if (worst > VERIFY_WAIT_BUDGET_NS)
        return vfail(r, "a waiter waited %.3f ms for the lock (budget %.0f ms)", worst / 1e6,
                     VERIFY_WAIT_BUDGET_NS / 1e6);
    return VPASS;
}

/* M5.  Unlock of an unlocked lock must be reported by variants that declare
 * they can detect it (EINVAL, or an abort with a message, which the runner
 * counts as detection); a correct lock/unlock pair must still return 0. */
static int m5_run(const struct vrun *r) {
    const struct cpat_mutex_ops *ops = r->ops;
    if (!(ops->flags & CPAT_MUTEX_DETECTS_BAD_UNLOCK)) {
        vnote(r, "variant cannot detect it");
        return VSKIP;
    }
    void *m = cpat_obj_new(ops->size, ops->align);
    ops->init(m);
    int e = ops->unlock(m);
    if (e != EINVAL)
        return vfail(r, "unlock of a never-locked lock returned %d, not EINVAL", e);
    ops->lock(m);
    if ((e = ops->unlock(m)) != 0)
        return vfail(r, "unlock of a held lock returned %d", e);
    if ((e = ops->unlock(m)) != EINVAL)
        return vfail(r, "second unlock returned %d, not EINVAL", e);
    ops->destroy(m);
    free(m);
    vnote(r, "EINVAL");
    return VPASS;
}

/* M6 (beyond GUARANTEES.md: the PARKS flag).  Thread 0 holds the lock,
 * asleep, while the others lock: a variant that says it parks must not
 * have its waiters runnable (harness.h, vparks_run). */
static void m6_take(void *m, int who) {
    (void)who;
    ((struct mshared *)m)->ops->lock(((struct mshared *)m)->m);
}
static void m6_release(void *m, int who) {
    (void)who;
    ((struct mshared *)m)->ops->unlock(((struct mshared *)m)->m);
}

static int m6_run(const struct vrun *r) {
    struct mshared *s = mshared_new(r);
    const struct cpat_mutex_ops *ops = r->ops;
    int v = vparks_run(r, ops->flags & CPAT_MUTEX_PARKS, m6_take, m6_release, s);
    mshared_free(s);
    return v;
}

/* ---- X6: the ctx-aware lock (cpat_ctx_mutex_lock) ----------------------
 *
 * Rounds: thread 0 makes the round's context (a cancel context it cancels
 * at a random moment, or a timeout of 20-800 us) and holds the lock as the
 * round starts; the other threads lock with cpat_ctx_mutex_lock.  In half
 * the rounds thread 0 unlocks at a random moment, before or after the
 * cancel; in the other half ("late") only once every locker has returned,
 * so each must be woken by the cancel or its deadline (a lost kick hangs
 * there: the watchdog).  A locker that gets 0 holds the lock alone (the
 * held flag, a plain counter); one that gets an Err must get the context's,
 * never ETIMEDOUT before the deadline, and must not hold the lock: after
 * the round thread 0's trylock must succeed.  In half the rounds thread 1
 * locks with plain lock(): a ctx locker that leaves with unlock's wake-up
 * strands it on a free lock (the watchdog). */

static void x6m_sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

struct x6m {
    struct mshared *s;
    const struct cpat_context_ops *cops;
    pthread_barrier_t b;
    int nth;
    /* plain: thread 0 sets them between rounds */
    long round;
    bool stop, late, plain; /* plain: thread 1 uses lock() this round */
    struct vx6_ctx c;
    _Atomic int returned; /* ctx lockers back */
    _Atomic long got, ended;
};

static void x6m_locker(struct vthread *t, struct x6m *x) {
    struct mshared *s = x->s;
    vnoise(t);
    if (x->plain && t->index == 1) {
        s->ops->lock(s->m);
        if (enter(t, s)) {
            s->counter++;
            leave(t, s);
        }
        s->ops->unlock(s->m);
        return;
    }
    int e = cpat_ctx_mutex_lock(x->c.ctx, s->ops, s->m);
    if (e == 0) {
        atomic_fetch_add_explicit(&x->got, 1, memory_order_relaxed);
        if (enter(t, s)) {
            s->counter++;
            vnoise(t);
            leave(t, s);
        }
        s->ops->unlock(s->m);
    } else {
        atomic_fetch_add_explicit(&x->ended, 1, memory_order_relaxed);
        vx6_result(t, &x->c, e, "cpat_ctx_mutex_lock", x->round);
    }
    atomic_fetch_add_explicit(&x->returned, 1, memory_order_release);
}

static void x6m_pause(struct vthread *t) {
    if (vrand(t) % 2)
        vnoise(t);
    else
        x6m_sleep_ns(vrand(t) % 600 * 1000);
}

static void x6m_holder(struct vthread *t, struct x6m *x) {
    struct mshared *s = x->s;
    bool cancel = x->c.want == ECANCELED, unlocked = false;
    if (!x->late && vrand(t) % 2) { /* unlock first */
        x6m_pause(t);
        leave(t, s);
        s->ops->unlock(s->m);
        unlocked = true;
    }
    if (cancel) {
        x6m_pause(t);
        cpat_ctx_cancel(x->c.ctx);
    }
    if (x->late)
        while (atomic_load_explicit(&x->returned, memory_order_acquire) < x->nth - 1 - x->plain)
            sched_yield();
    else if (!unlocked)
        x6m_pause(t);
    if (!unlocked) {
        leave(t, s);
        s->ops->unlock(s->m);
    }
}

static void x6m_next_round(struct vthread *t, struct x6m *x) {
    x->stop = vtime_up(t) || vfailed(t->r);
    if (x->stop)
        return;
    x->round++;
    x->late = vrand(t) % 2;
    x->plain = x->nth >= 3 && vrand(t) % 2;
    atomic_store_explicit(&x->returned, 0, memory_order_relaxed);
    vx6_ctx_make(t, x->cops, &x->c);
    x->s->ops->lock(x->s->m);
    enter(t, x->s);
}

static void x6m_thread(struct vthread *t) {
    struct x6m *x = t->arg;
    for (;;) {
        if (t->index == 0)
            x6m_next_round(t, x);
        pthread_barrier_wait(&x->b);
        if (x->stop)
            return;
        if (t->index == 0)
            x6m_holder(t, x);
        else
            x6m_locker(t, x);
        vtick(t);
        pthread_barrier_wait(&x->b);
        if (t->index == 0) {
            if (x->s->ops->trylock(x->s->m) != 0) {
                vfail(t->r,
                      "round %ld: the lock is held after every locker returned (one that "
                      "reported the context's end kept it)",
                      x->round);
                x->stop = true;
            } else {
                x->s->ops->unlock(x->s->m);
            }
            cpat_ctx_release(x->c.ctx);
            x->c.ctx = NULL;
        }
    }
}

static int x6m_run(const struct vrun *r) {
    const struct cpat_mutex_ops *ops = r->ops;
    if (!ops->lock_until) {
        vnote(r, "no lock_until in this variant (see cpat/mutex.h): no ctx-aware lock");
        return VSKIP;
    }
    struct x6m *x = calloc(1, sizeof *x);
    x->s = mshared_new(r);
    x->cops = &cpat_context_futex_ops;
    x->nth = r->threads < 2 ? 2 : r->threads;
    pthread_barrier_init(&x->b, NULL, (unsigned)x->nth);
    vthreads_run(r, x->nth, x6m_thread, x);
    pthread_barrier_destroy(&x->b);
    long rounds = x->round, got = x->got, ended = x->ended;
    mshared_free(x->s);
    free(x);
    if (vfailed(r))
        return VFAIL;
    vnote(r, "%ld rounds: %ld locks taken, %ld ended by the context", rounds, got, ended);
    return VPASS;
}

static const struct vcheck mutex_checks[] = {
    {"M1", "never two holders at once", m1_run, false, false},
    {"M2", "unlock n happens-before lock n+1 (plain counter exact)", m2_run, false, false},
    {"M3", "trylock never succeeds on a held lock and never blocks", m3_run, false, false},
    {"M4", "bounded wait while another thread re-locks in a loop", m4_run, false, false},
    {"M5", "unlock of an unlocked lock is detected", m5_run, true, true},
    {"M6", "a variant that says it parks does not spin while the holder sleeps", m6_run, false,
     false},
    {"X6", "the ctx-aware lock returns Err after cancel, never with the lock held", x6m_run, false,
     false},
};

static size_t mutex_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_mutex *mu = vmutants_mutex; mu->ops && n < max; mu++)
            out[n++] = (struct vimpl){mu->ops->name, mu->ops, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_mutex_ops *const *o = cpat_mutex_registry; *o && n < max; o++)
        if (strcmp((*o)->kind, "null") != 0) /* null is not a lock */
            out[n++] = (struct vimpl){(*o)->name, *o, false, false};
    return n;
}

const struct vpattern vpattern_mutex = {"mutex", mutex_checks,
                                        sizeof mutex_checks / sizeof mutex_checks[0], mutex_impls};
