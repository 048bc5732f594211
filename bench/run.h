/* What the threads of one benchmark run share: a barrier, each thread's op
 * count and resource use, the fairness window, and latency histograms.
 * Thread 0 resets it before cpat_bench_begin() (a barrier), every thread
 * records into its own slot, and run_finish() -- a barrier inside the timed
 * region, so the clock covers the whole run until its last thread is done --
 * lets thread 0 turn the slots into counters.
 *
 * Fairness window: per-thread op counts are equal by construction (Google
 * Benchmark gives every thread the same count), so fairness is measured at
 * the moment the first thread finishes: each thread notes how many ops it
 * had done when it saw that.  Jain's index over those counts is 1.0 for a
 * perfectly fair lock and 1/N when one thread did everything.
 *
 * Time cap: a spinning lock on an oversubscribed machine can take a whole
 * scheduler slice per operation, and Google Benchmark's growing iteration
 * counts then run for minutes.  run_tick() ends a thread's loop after
 * run_cap_ns; items count only the operations done, so items_per_second
 * stays exact, and the counter `capped` (threads that hit the cap) marks
 * such a run.
 */
#ifndef CPAT_BENCH_RUN_H
#define CPAT_BENCH_RUN_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "hist.h"
#include "shim.h"

#define RUN_MAX_THREADS 1024

struct run_barrier {
    _Atomic uint32_t arrived;
    _Atomic uint32_t gen;      /* futex word: bumped by the last arrival */
    _Atomic uint32_t sleepers; /* waiters in (or about to enter) FUTEX_WAIT */
};

struct run_slot {
    alignas(64) uint64_t ops; /* ops this thread did */
    uint64_t window_ops;      /* ops done when the first thread finished */
    bool in_window;           /* window_ops not yet taken */
    bool capped;              /* stopped by the time cap */
    uint64_t deadline_ns;     /* the time cap */
    uint64_t cpu_ns, csw;     /* CPU time and context switches while measuring */
    struct hist *hist;        /* latency samples, if the workload takes any */
};

struct run {
    struct run_barrier bar;
    unsigned what;                         /* RUN_* figures to report, set by run_reset */
    alignas(64) _Atomic int window_closed; /* a thread has finished its ops */
    struct run_slot slot[RUN_MAX_THREADS];
};

/* What run_finish() reports beyond items, cpu_per_op and csw_per_op. */
enum { RUN_FAIRNESS = 1, RUN_LATENCY = 2 };

void run_reset(struct run *r, int threads, unsigned what); /* thread 0, before begin() */
void run_barrier_wait(struct run_barrier *b, int n);

/* Around the measured loop of thread i. */
void run_start(struct run *r, int i);
void run_stop(struct run *r, int i, uint64_t ops);

extern uint64_t run_cap_ns; /* --run-cap */

/* In the measured loop of a shared-object workload, once per op, before
 * op `done`: notes the fairness window and returns false once the time cap
 * has passed (looked at every 256 ops). */
static inline bool run_tick(struct run *r, int i, uint64_t done) {
    struct run_slot *s = &r->slot[i];
    if (s->in_window && atomic_load_explicit(&r->window_closed, memory_order_relaxed)) {
        s->window_ops = done;
        s->in_window = false;
    }
    if ((done & 255) || cpat_now_ns() < s->deadline_ns)
        return true;
    s->capped = true;
    return false;
}

/* All threads: waits for the others, sets items; thread 0 sets counters. */
void run_finish(struct run *r, cpat_bench_state *st);

/* CPU time (ns) and context switches (voluntary + involuntary) of the
 * calling thread, or of the whole process. */
uint64_t run_cpu_ns(bool process);
uint64_t run_csw(bool process);

/* ~100 ns of local work that the compiler cannot remove (calibrated):
 * x = work(work_iters_100ns, x).  The chain goes on from x, the caller's
 * previous result, as bench/go's acc = work100(acc): calls that did not
 * depend on each other would overlap in an out-of-order core (two ~100
 * ns calls took 107 ns here, not 200), and a "job of 10 us" would last 6. */
extern uint64_t work_iters_100ns;
void work_calibrate(void);
uint64_t work(uint64_t iters, uint64_t x);

#endif
