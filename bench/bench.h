/* What the workload files of cpat-bench share. */
#ifndef CPAT_BENCH_BENCH_H
#define CPAT_BENCH_BENCH_H

#include <stdarg.h>
#include <stdio.h>

#include "run.h"
#include "shim.h"

/* Thread counts of the sweep: `scaling` is 1..2xPUs (or --threads), `over`
 * the oversubscribed point (4xPUs), `pairs` from 2 up. */
struct thread_sets {
    int scaling[64], nscaling;
    int over[1];
    int pairs[64], npairs;
};

void register_limits(const struct thread_sets *ts);
void register_mutex(const struct thread_sets *ts);
void register_rwlock(const struct thread_sets *ts);
void register_once(const struct thread_sets *ts);
void register_waitgroup(const struct thread_sets *ts);
void register_chan(const struct thread_sets *ts);
void register_context(const struct thread_sets *ts);
void register_pool(const struct thread_sets *ts);

/* Registers fn under the name printf makes of fmt and what follows. */
__attribute__((format(printf, 5, 6))) static inline void
bench_reg(cpat_bench_fn fn, void *ctx, const int *threads, int nthreads, const char *fmt, ...) {
    char name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    cpat_bench_register(name, fn, ctx, threads, nthreads);
}

/* The frame of a workload on shared objects (run.h), around its loop:
 *
 *     if (me == 0)
 *         set up the shared objects;
 *     uint64_t n = bench_shared_begin(&run, st, RUN_FAIRNESS), i;
 *     for (i = 0; i < n && run_tick(&run, me, i); i++)
 *         op;
 *     bench_shared_end(&run, st, i);
 *     if (me == 0)
 *         tear them down;
 */
static inline uint64_t bench_shared_begin(struct run *r, cpat_bench_state *st, unsigned what) {
    int me = cpat_bench_thread_index(st);
    if (me == 0)
        run_reset(r, cpat_bench_threads(st), what);
    uint64_t n = cpat_bench_begin(st); /* a barrier: the others see the set-up */
    run_start(r, me);
    return n;
}

static inline void bench_shared_end(struct run *r, cpat_bench_state *st, uint64_t ops) {
    run_stop(r, cpat_bench_thread_index(st), ops);
    run_finish(r, st);
}

/* Keeps a value alive without a memory access. */
#define bench_keep(x) __asm__ __volatile__("" : : "r"(x))

#endif
