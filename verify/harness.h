/* cpat-verify's harness: what a check sees.
 *
 * The runner (main.c) runs every (variant, check, thread count) in a forked
 * child and watches it from the parent: a crash, a sanitizer report or a
 * stall of the shared progress counter (a lost wake-up is a hang) becomes a
 * failure with the command that reruns it alone.  A check runs its worker
 * threads through vthreads_run(), calls vtick() as it makes progress, injects
 * noise with vnoise(), and ends with vpass/vfail/vskip.
 */
#ifndef CPAT_VERIFY_HARNESS_H
#define CPAT_VERIFY_HARNESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tsan.h"

enum { VPASS = 0, VFAIL = 1, VSKIP = 77 };

/* Shared between the runner and its child (one MAP_SHARED page). */
struct vshared {
    _Atomic uint64_t progress; /* ticks; the watchdog fails a check whose count stalls */
    char note[256];            /* what the check measured, e.g. its worst wait */
    char fail[512];            /* why it failed; the first failure wins */
    _Atomic int failed;
};

/* One run of one check. */
struct vrun {
    const char *pattern, *impl, *check;
    const void *ops; /* the variant's ops table (struct cpat_<pattern>_ops) */
    int threads;
    double seconds;
    uint64_t seed;
    struct vshared *sh;
    double stall; /* the watchdog's stall budget: waits that do not tick stay well below it */
};

/* Per worker thread. */
struct vthread {
    const struct vrun *r;
    int index;
    uint64_t rng; /* xorshift64 state, from the run's seed and the index */
    uint64_t deadline_ns;
    uint32_t pending_ticks;
    void *arg; /* the check's shared state */
    void (*fn)(struct vthread *t);
};

struct vcheck {
    const char *id;   /* "M1" */
    const char *what; /* one line: the guarantee */
    int (*run)(const struct vrun *r);
    bool single;        /* runs once, not per thread count */
    bool abort_is_pass; /* an abort with a message is the expected detection */
};

struct vimpl {
    const char *name;
    const void *ops;
    bool mutant;
    bool tsan_only; /* a mutant only TSan can see (a missing happens-before) */
};

struct vpattern {
    const char *name;
    const struct vcheck *checks;
    size_t nchecks;
    size_t (*impls)(struct vimpl *out, size_t max, bool mutants); /* lists variants or mutants */
};

extern const struct vpattern vpattern_mutex, vpattern_rwlock, vpattern_once, vpattern_waitgroup;
extern const struct vpattern vpattern_chan;
extern const struct vpattern vpattern_context;
extern const struct vpattern vpattern_pool, vpattern_fan;
/* The runner's own test (verify/selftest.sh): never listed, never emitted. */
extern const struct vpattern vpattern_selftest;

/* How long any one wait may take before a check calls it unbounded (M4 and
 * its kin).  TSan runs atomics many times slower. */
#define VERIFY_WAIT_BUDGET_NS ((CPAT_TSAN ? 3000u : 1000u) * 1000000ull)

/* How long a run of check id lasts with --seconds s: s, except for the
 * checks that must see a wait exceed the budget (a wait cannot outlast the
 * run), which run 1.2 budgets at least.  Those checks take their duration
 * from here and the runner sizes its time limits from it, so the two agree;
 * a check that runs longer than --seconds is listed in harness.c. */
double vrun_seconds(const char *id, double s);

uint64_t vrand(struct vthread *t);
void vnoise(struct vthread *t); /* maybe yield, maybe spin a little: widens race windows */
bool vtime_up(const struct vthread *t);
void vtick(struct vthread *t); /* progress for the watchdog (batched) */
void vtick_flush(struct vthread *t);

/* Runs fn on r->threads (or n) threads, index 0..n-1, and joins them. */
void vthreads_run(const struct vrun *r, int n, void (*fn)(struct vthread *t), void *arg);

/* The parking probe (M6, R5: a variant's PARKS flag).  Thread 0 takes
 * the lock (take(obj, 0)) and holds it, asleep, VPARKS_HOLD_NS at a time;
 * the others take and release it (take/release(obj, index)) once per
 * hold.  During each hold thread 0 looks VPARKS_LOOKS times at the kernel
 * state of every waiter inside take() (/proc/self/task/TID/stat): a
 * spinning thread is R (running or runnable) at every look, however busy
 * the machine; a parked one is S, after its spin.  The first look comes a
 * quarter into the hold, after the waiters have arrived and stopped
 * spinning.  With `parks`, more than half the looks finding R fail the
 * run; without, the figure is noted and the run skipped. */
#define VPARKS_HOLD_NS 20000000u
#define VPARKS_LOOKS   3
int vparks_run(const struct vrun *r, bool parks, void (*take)(void *obj, int who),
               void (*release)(void *obj, int who), void *obj);

int vfail(const struct vrun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vnote(const struct vrun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool vfailed(const struct vrun *r);

/* X6 rounds of a family's ctx-aware operation (check_mutex.c,
 * check_waitgroup.c): the round's context, a cancel context (want
 * ECANCELED, deadline UINT64_MAX) or, one round in three, a timeout of
 * 20-800 us (want ETIMEDOUT, deadline when it ends, never earlier than the
 * context's own).  vx6_result checks an operation's Err: the round's, the
 * context's, not before the deadline; false (and the run failed) if not. */
struct cpat_ctx;
struct cpat_context_ops;
struct vx6_ctx {
    struct cpat_ctx *ctx;
    int want;
    uint64_t deadline;
};
void vx6_ctx_make(struct vthread *t, const struct cpat_context_ops *ops, struct vx6_ctx *c);
bool vx6_result(struct vthread *t, const struct vx6_ctx *c, int e, const char *op, long round);

#endif
