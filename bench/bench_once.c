/* once.* workloads of ../shared/WORKLOADS.md, instantiated for every
 * variant from CPAT_ONCE_VARIANTS with its direct (inlined) operations. */
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "once/all.h"
#include "run.h"

static struct run run; /* one benchmark runs at a time */

/* The function under the once: a little work, its result kept, and a count
 * of its calls to check that it ran exactly once per fresh once. */
static struct { alignas(128) uint64_t calls, result; } fn_out;

/* once.race: thread 0's verdict on the next round, read by all. */
static struct { alignas(128) bool go; } race;

static void once_fn(void *arg) {
    (void)arg;
    fn_out.result = work(work_iters_100ns, fn_out.calls);
    fn_out.calls++;
}

/* Thread 0, after the run: fails it unless the function ran `want` times. */
static void check_calls(cpat_bench_state *st, uint64_t want) {
    if (fn_out.calls != want)
        cpat_bench_skip(st, "the once's function did not run exactly once per once");
    bench_keep(fn_out.result);
}

#define ONCE_BENCHES(V)                                                                            \
    static struct { alignas(128) struct cpat_once_##V o; } shared_##V;                             \
                                                                                                   \
    /* once.fast: do() on a once whose function has run (thread 0 ran it                           \
     * before the clock started). */                                                               \
    static void once_fast_##V(cpat_bench_state *st, void *ctx) {                                   \
        (void)ctx;                                                                                 \
        int me = cpat_bench_thread_index(st);                                                      \
        if (me == 0) {                                                                             \
            cpat_once_##V##_init(&shared_##V.o);                                                   \
            fn_out.calls = 0;                                                                      \
            cpat_once_##V##_do(&shared_##V.o, once_fn, NULL);                                      \
        }                                                                                          \
        uint64_t n = bench_shared_begin(&run, st, 0), i;                                           \
        /* No run_tick: a done once never blocks, and the floor this is                            \
         * read against (limits.acquire_load) has nothing else in its loop. */                     \
        for (i = 0; i < n; i++)                                                                    \
            cpat_once_##V##_do(&shared_##V.o, once_fn, NULL);                                      \
        bench_shared_end(&run, st, i);                                                             \
        if (me == 0) {                                                                             \
            check_calls(st, 1);                                                                    \
            cpat_once_##V##_destroy(&shared_##V.o);                                                \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* once.race: every thread calls do() on a fresh once; one item is one                         \
     * race, until the last caller returns.  Rounds: all threads meet at a                         \
     * barrier, thread 0 re-initialises the once and decides whether to go                         \
     * on (the op count and the time cap are its alone), all meet again,                           \
     * then race.  The figure includes those two barrier crossings, the same                       \
     * for every variant; items are counted on thread 0 only. */                                   \
    static void once_race_##V(cpat_bench_state *st, void *ctx) {                                   \
        (void)ctx;                                                                                 \
        int me = cpat_bench_thread_index(st), threads = cpat_bench_threads(st);                    \
        if (me == 0) {                                                                             \
            cpat_once_##V##_init(&shared_##V.o);                                                   \
            fn_out.calls = 0;                                                                      \
        }                                                                                          \
        uint64_t n = bench_shared_begin(&run, st, 0), rounds = 0;                                  \
        for (;; rounds++) {                                                                        \
            run_barrier_wait(&run.bar, threads); /* everyone is out of the last race */            \
            if (me == 0) {                                                                         \
                cpat_once_##V##_destroy(&shared_##V.o);                                            \
                cpat_once_##V##_init(&shared_##V.o);                                               \
                race.go = rounds < n && run_tick(&run, me, rounds);                                \
            }                                                                                      \
            run_barrier_wait(&run.bar, threads); /* publishes the fresh once and go */             \
            if (!race.go)                                                                          \
                break;                                                                             \
            cpat_once_##V##_do(&shared_##V.o, once_fn, NULL);                                      \
        }                                                                                          \
        bench_shared_end(&run, st, me == 0 ? rounds : 0);                                          \
        if (me == 0) {                                                                             \
            check_calls(st, rounds);                                                               \
            cpat_once_##V##_destroy(&shared_##V.o);                                                \
        }                                                                                          \
    }

CPAT_ONCE_VARIANTS(ONCE_BENCHES)

/* Workload by workload, so a sweep's progress reads in that order. */
void register_once(const struct thread_sets *ts) {
#define REG_FAST(V) bench_reg(once_fast_##V, NULL, ts->scaling, ts->nscaling, "once.fast/%s", #V);
#define REG_RACE(V) bench_reg(once_race_##V, NULL, ts->scaling, ts->nscaling, "once.race/%s", #V);
    CPAT_ONCE_VARIANTS(REG_FAST)
    CPAT_ONCE_VARIANTS(REG_RACE)
}
