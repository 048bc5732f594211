/* waitgroup.* workloads of ../shared/WORKLOADS.md, instantiated for every
 * variant from CPAT_WAITGROUP_VARIANTS with its direct (inlined) operations. */
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "common/clock.h"
#include "common/spin.h"
#include "run.h"
#include "waitgroup/all.h"

static struct run run; /* one benchmark runs at a time */

/* waitgroup.cycle's rounds.  round: the round thread 0 has started (its
 * add() done), ROUND_STOP once the run is over.  t_done: when worker i
 * called done() in its latest round. */
#define ROUND_STOP  UINT64_MAX
#define ROUND_SPINS 1000 /* polls of round before a worker yields between polls */
static struct {
    alignas(128) _Atomic uint64_t round;
    struct {
        alignas(64) _Atomic uint64_t t_done;
    } worker[RUN_MAX_THREADS];
} cycle;

/* A worker: waits for a round other than `seen`, spinning then yielding. */
static uint64_t cycle_next_round(uint64_t seen) {
    uint64_t r;
    /* Acquire pairs with thread 0's release store of the round: its add()
     * happens-before our done(). */
    for (unsigned polls = 0; (r = atomic_load_explicit(&cycle.round, memory_order_acquire)) == seen;
         polls++) {
        if (polls < ROUND_SPINS)
            cpat_cpu_relax();
        else
            sched_yield();
    }
    return r;
}

/* Thread 0: when the last done() of the round was called. */
static uint64_t cycle_last_done(int workers) {
    uint64_t last = 0;
    for (int w = 1; w <= workers; w++) {
        uint64_t t = atomic_load_explicit(&cycle.worker[w].t_done, memory_order_relaxed);
        last = t > last ? t : last;
    }
    return last;
}

#define WAITGROUP_BENCHES(V)                                                                       \
    static struct { alignas(128) struct cpat_waitgroup_##V wg; } shared_##V;                       \
                                                                                                   \
    /* waitgroup.add_done (add_done = true): add(1)+done() on a shared                             \
     * group.  waitgroup.wait (add_done = false): wait() on a zero group. */                       \
    static inline void waitgroup_shared_loop_##V(cpat_bench_state *st, bool add_done) {            \
        int me = cpat_bench_thread_index(st);                                                      \
        if (me == 0)                                                                               \
            cpat_waitgroup_##V##_init(&shared_##V.wg);                                             \
        uint64_t n = bench_shared_begin(&run, st, 0), i;                                           \
        for (i = 0; i < n && run_tick(&run, me, i); i++) {                                         \
            if (add_done) {                                                                        \
                cpat_waitgroup_##V##_add(&shared_##V.wg, 1);                                       \
                cpat_waitgroup_##V##_done(&shared_##V.wg);                                         \
            } else {                                                                               \
                cpat_waitgroup_##V##_wait(&shared_##V.wg);                                         \
            }                                                                                      \
        }                                                                                          \
        bench_shared_end(&run, st, i);                                                             \
        if (me == 0)                                                                               \
            cpat_waitgroup_##V##_destroy(&shared_##V.wg);                                          \
    }                                                                                              \
    static void waitgroup_add_done_##V(cpat_bench_state *st, void *ctx) {                          \
        (void)ctx;                                                                                 \
        waitgroup_shared_loop_##V(st, true);                                                       \
    }                                                                                              \
    static void waitgroup_wait_##V(cpat_bench_state *st, void *ctx) {                              \
        (void)ctx;                                                                                 \
        waitgroup_shared_loop_##V(st, false);                                                      \
    }                                                                                              \
                                                                                                   \
    /* waitgroup.cycle: thread 0 waits, threads 1..T-1 work; one item is                           \
     * one round.  Thread 0 add()s T-1 and starts the round, each worker                           \
     * stamps the time and calls done(), thread 0's wait() returns.                                \
     * Latency: from the last done() (the one that releases the waiter) to                         \
     * the return of wait().  Workers leave when thread 0 stops; only it                           \
     * counts items and ticks. */                                                                  \
    static void waitgroup_cycle_##V(cpat_bench_state *st, void *ctx) {                             \
        (void)ctx;                                                                                 \
        int me = cpat_bench_thread_index(st), workers = cpat_bench_threads(st) - 1;                \
        if (me == 0) {                                                                             \
            cpat_waitgroup_##V##_init(&shared_##V.wg);                                             \
            atomic_store_explicit(&cycle.round, 0, memory_order_relaxed);                          \
            for (int w = 1; w <= workers; w++)                                                     \
                atomic_store_explicit(&cycle.worker[w].t_done, 0, memory_order_relaxed);           \
        }                                                                                          \
        uint64_t n = bench_shared_begin(&run, st, RUN_LATENCY), i = 0;                             \
        if (me == 0) {                                                                             \
            struct hist *h = run.slot[0].hist;                                                     \
            for (; i < n && run_tick(&run, me, i); i++) {                                          \
                cpat_waitgroup_##V##_add(&shared_##V.wg, workers);                                 \
                atomic_store_explicit(&cycle.round, i + 1, memory_order_release);                  \
                cpat_waitgroup_##V##_wait(&shared_##V.wg);                                         \
                uint64_t now = cpat_now_ns(), last = cycle_last_done(workers);                     \
                if (last && now >= last) /* always, unless `null`, which waits for nothing */      \
                    hist_add(h, now - last);                                                       \
            }                                                                                      \
            atomic_store_explicit(&cycle.round, ROUND_STOP, memory_order_release);                 \
        } else {                                                                                   \
            for (uint64_t r = 0; (r = cycle_next_round(r)) != ROUND_STOP;) {                       \
                atomic_store_explicit(&cycle.worker[me].t_done, cpat_now_ns(),                     \
                                      memory_order_relaxed);                                       \
                cpat_waitgroup_##V##_done(&shared_##V.wg);                                         \
            }                                                                                      \
        }                                                                                          \
        bench_shared_end(&run, st, i);                                                             \
        if (me == 0)                                                                               \
            cpat_waitgroup_##V##_destroy(&shared_##V.wg);                                          \
    }

CPAT_WAITGROUP_VARIANTS(WAITGROUP_BENCHES)

/* Workload by workload, so a sweep's progress reads in that order. */
void register_waitgroup(const struct thread_sets *ts) {
#define REG_ADD_DONE(V)                                                                            \
    bench_reg(waitgroup_add_done_##V, NULL, ts->scaling, ts->nscaling, "waitgroup.add_done/%s", #V);
#define REG_WAIT(V)                                                                                \
    bench_reg(waitgroup_wait_##V, NULL, ts->scaling, ts->nscaling, "waitgroup.wait/%s", #V);
#define REG_CYCLE(V)                                                                               \
    bench_reg(waitgroup_cycle_##V, NULL, ts->pairs, ts->npairs, "waitgroup.cycle/%s", #V);
    CPAT_WAITGROUP_VARIANTS(REG_ADD_DONE)
    CPAT_WAITGROUP_VARIANTS(REG_WAIT)
    CPAT_WAITGROUP_VARIANTS(REG_CYCLE)
}
