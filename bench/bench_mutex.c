/* mutex.* workloads of ../shared/WORKLOADS.md, instantiated for every
 * variant from CPAT_MUTEX_VARIANTS with its direct (inlined) operations. */
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "common/clock.h"
#include "cpat/error.h"
#include "mutex/all.h"
#include "run.h"

static struct run run; /* one benchmark runs at a time */

/* The shared side of a workload: the lock and what it guards, each on its
 * own cache lines. */
#define MUTEX_SHARED(V)                                                                            \
    static struct {                                                                                \
        alignas(128) struct cpat_mutex_##V m;                                                      \
        alignas(128) uint64_t counter; /* mutex.work's shared counter */                           \
        uint64_t t_release;            /* mutex.handoff: when the last holder unlocked */          \
        int last;                      /* mutex.handoff: who held it last */                       \
    } shared_##V;

#define MUTEX_BENCHES(V)                                                                           \
    MUTEX_SHARED(V)                                                                                \
                                                                                                   \
    /* mutex.uncontended: lock+unlock of a lock private to the thread. */                          \
    static void mutex_uncontended_##V(cpat_bench_state *st, void *ctx) {                           \
        (void)ctx;                                                                                 \
        struct {                                                                                   \
            alignas(128) struct cpat_mutex_##V m;                                                  \
            char pad[128];                                                                         \
        } mine;                                                                                    \
        cpat_mutex_##V##_init(&mine.m);                                                            \
        uint64_t n = cpat_bench_begin(st);                                                         \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            cpat_mutex_##V##_lock(&mine.m);                                                        \
            cpat_mutex_##V##_unlock(&mine.m);                                                      \
            __asm__ __volatile__("" ::: "memory"); /* one op per iteration, not fused */           \
        }                                                                                          \
        cpat_bench_end(st);                                                                        \
        cpat_bench_set_items(st, n);                                                               \
        cpat_mutex_##V##_destroy(&mine.m);                                                         \
    }                                                                                              \
                                                                                                   \
    /* mutex.contended / .oversubscribed (work = false): empty critical                            \
     * section.  mutex.work (work = true): the critical section increments a                       \
     * shared counter, ~100 ns of local work outside. */                                           \
    static inline void mutex_shared_loop_##V(cpat_bench_state *st, bool with_work) {               \
        int me = cpat_bench_thread_index(st);                                                      \
        if (me == 0) {                                                                             \
            cpat_mutex_##V##_init(&shared_##V.m);                                                  \
            shared_##V.counter = 0;                                                                \
            run_reset(&run, cpat_bench_threads(st), RUN_FAIRNESS);                                 \
        }                                                                                          \
        uint64_t n = cpat_bench_begin(st), sink = 0, i;                                            \
        run_start(&run, me);                                                                       \
        for (i = 0; i < n && run_tick(&run, me, i); i++) {                                         \
            cpat_mutex_##V##_lock(&shared_##V.m);                                                  \
            if (with_work)                                                                         \
                shared_##V.counter++;                                                              \
            cpat_mutex_##V##_unlock(&shared_##V.m);                                                \
            if (with_work)                                                                         \
                sink = work(work_iters_100ns, sink);                                               \
        }                                                                                          \
        run_stop(&run, me, i);                                                                     \
        run_finish(&run, st);                                                                      \
        bench_keep(sink);                                                                          \
        if (me == 0)                                                                               \
            cpat_mutex_##V##_destroy(&shared_##V.m);                                               \
    }                                                                                              \
    static void mutex_contended_##V(cpat_bench_state *st, void *ctx) {                             \
        (void)ctx;                                                                                 \
        mutex_shared_loop_##V(st, false);                                                          \
    }                                                                                              \
    static void mutex_work_##V(cpat_bench_state *st, void *ctx) {                                  \
        (void)ctx;                                                                                 \
        mutex_shared_loop_##V(st, true);                                                           \
    }                                                                                              \
                                                                                                   \
    /* mutex.handoff: from an unlock to the lock() return of another thread.                       \
     * The holder stamps the time just before it unlocks; the next holder,                         \
     * if it is another thread, records now - stamp. */                                            \
    static void mutex_handoff_##V(cpat_bench_state *st, void *ctx) {                               \
        (void)ctx;                                                                                 \
        int me = cpat_bench_thread_index(st);                                                      \
        if (me == 0) {                                                                             \
            cpat_mutex_##V##_init(&shared_##V.m);                                                  \
            shared_##V.last = -1;                                                                  \
            run_reset(&run, cpat_bench_threads(st), RUN_LATENCY);                                  \
        }                                                                                          \
        uint64_t n = cpat_bench_begin(st), i;                                                      \
        run_start(&run, me);                                                                       \
        struct hist *h = run.slot[me].hist;                                                        \
        for (i = 0; i < n && run_tick(&run, me, i); i++) {                                         \
            cpat_mutex_##V##_lock(&shared_##V.m);                                                  \
            if (shared_##V.last != me && shared_##V.last >= 0)                                     \
                hist_add(h, cpat_now_ns() - shared_##V.t_release);                                 \
            shared_##V.last = me;                                                                  \
            shared_##V.t_release = cpat_now_ns();                                                  \
            cpat_mutex_##V##_unlock(&shared_##V.m);                                                \
        }                                                                                          \
        run_stop(&run, me, i);                                                                     \
        run_finish(&run, st);                                                                      \
        if (me == 0)                                                                               \
            cpat_mutex_##V##_destroy(&shared_##V.m);                                               \
    }

CPAT_MUTEX_VARIANTS(MUTEX_BENCHES)

static void reg(const char *workload, const char *impl, cpat_bench_fn fn, const int *threads,
                int n) {
    char name[128];
    snprintf(name, sizeof name, "mutex.%s/%s", workload, impl);
    cpat_bench_register(name, fn, NULL, threads, n);
}

/* Workload by workload, so a sweep's progress reads in that order. */
void register_mutex(const struct thread_sets *ts) {
#define REG_UNCONTENDED(V) reg("uncontended", #V, mutex_uncontended_##V, ts->scaling, ts->nscaling);
#define REG_CONTENDED(V)   reg("contended", #V, mutex_contended_##V, ts->scaling, ts->nscaling);
#define REG_WORK(V)        reg("work", #V, mutex_work_##V, ts->scaling, ts->nscaling);
#define REG_OVER(V)        reg("oversubscribed", #V, mutex_contended_##V, ts->over, 1);
/* No mutex.handoff/null: without exclusion there is no hand-off to time. */
#define REG_HANDOFF(V)                                                                             \
    if (strcmp(#V, "null") != 0)                                                                   \
        reg("handoff", #V, mutex_handoff_##V, ts->pairs, ts->npairs);
    CPAT_MUTEX_VARIANTS(REG_UNCONTENDED)
    CPAT_MUTEX_VARIANTS(REG_CONTENDED)
    CPAT_MUTEX_VARIANTS(REG_WORK)
    CPAT_MUTEX_VARIANTS(REG_OVER)
    CPAT_MUTEX_VARIANTS(REG_HANDOFF)
}
