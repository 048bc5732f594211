#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/clock.h"
#include "common/futex.h"
#include "common/spin.h"

void run_reset(struct run *r, int threads, unsigned what) {
    atomic_store_explicit(&r->bar.arrived, 0, memory_order_relaxed);
    atomic_store_explicit(&r->window_closed, 0, memory_order_relaxed);
    memset(r->slot, 0, (size_t)threads * sizeof r->slot[0]);
    r->what = what;
}

/* Generation barrier.  gen: bumped once per episode by the last arrival,
 * which first resets arrived for the next episode.  Waiters spin briefly,
 * then sleep while gen is unchanged.  The last arrival makes the wake
 * syscall only when someone went to sleep: sleepers and gen form a Dekker
 * pair (seq_cst on both sides), so either the sleeper sees the new gen or
 * the waker sees the sleeper. */
void run_barrier_wait(struct run_barrier *b, int n) {
    /* Read the generation before arriving: the last arrival may bump it the
     * moment we do.  Acquire pairs with the release bump below. */
    uint32_t g = atomic_load_explicit(&b->gen, memory_order_acquire);
    /* acq_rel: our writes before the barrier are released to the last
     * arrival, which releases them all again with its bump of gen. */
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) + 1 == (uint32_t)n) {
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        /* seq_cst: also releases the episode's writes to every waiter. */
        atomic_fetch_add_explicit(&b->gen, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&b->sleepers, memory_order_seq_cst))
            cpat_futex_wake(&b->gen, CPAT_FUTEX_WAKE_ALL);
        return;
    }
    for (int i = 0; i < 1000; i++) {
        if (atomic_load_explicit(&b->gen, memory_order_acquire) != g)
            return;
        cpat_cpu_relax();
    }
    atomic_fetch_add_explicit(&b->sleepers, 1, memory_order_seq_cst);
    /* Sleep while gen == g; any wake-up re-checks it.  seq_cst: the other
     * half of the pair with the last arrival's bump. */
    while (atomic_load_explicit(&b->gen, memory_order_seq_cst) == g)
        cpat_futex_wait(&b->gen, g, NULL);
    atomic_fetch_sub_explicit(&b->sleepers, 1, memory_order_relaxed);
}

uint64_t run_cpu_ns(bool process) {
    struct timespec ts;
    clock_gettime(process ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t run_csw(bool process) {
    struct rusage ru;
    getrusage(process ? RUSAGE_SELF : RUSAGE_THREAD, &ru);
    return (uint64_t)(ru.ru_nvcsw + ru.ru_nivcsw);
}

void run_start(struct run *r, int i) {
    struct run_slot *s = &r->slot[i];
    if (r->what & RUN_LATENCY)
        s->hist = calloc(1, sizeof *s->hist);
    s->in_window = true;
    s->csw = run_csw(false);
    s->cpu_ns = run_cpu_ns(false);
    s->deadline_ns = cpat_now_ns() + run_cap_ns;
}

void run_stop(struct run *r, int i, uint64_t ops) {
    struct run_slot *s = &r->slot[i];
    s->cpu_ns = run_cpu_ns(false) - s->cpu_ns;
    s->csw = run_csw(false) - s->csw;
    s->ops = ops;
    if (s->in_window) { /* we are the first to finish, or saw nobody finish */
        s->window_ops = ops;
        s->in_window = false;
    }
    /* A signal only: each thread reads its own slot until run_finish. */
    atomic_store_explicit(&r->window_closed, 1, memory_order_relaxed);
}

uint64_t run_cap_ns = 2000000000u;

static void counters(struct run *r, cpat_bench_state *st, int n) {
    unsigned what = r->what;
    double ops = 0, cpu = 0, csw = 0, sum = 0, sum2 = 0, mx = 0, mn = 1e300;
    int capped = 0;
    for (int i = 0; i < n; i++) {
        struct run_slot *s = &r->slot[i];
        double w = (double)s->window_ops;
        ops += (double)s->ops;
        cpu += (double)s->cpu_ns;
        csw += (double)s->csw;
        sum += w;
        sum2 += w * w;
        mx = w > mx ? w : mx;
        mn = w < mn ? w : mn;
        capped += s->capped;
    }
    if (capped)
        cpat_bench_counter(st, "capped", capped);
    if (ops > 0) {
        cpat_bench_counter(st, "cpu_per_op", cpu / ops);
        cpat_bench_counter(st, "csw_per_op", csw / ops);
    }
    if ((what & RUN_FAIRNESS) && sum2 > 0) {
        cpat_bench_counter(st, "fairness", sum * sum / (n * sum2));
        cpat_bench_counter(st, "max_min", mx / (mn < 1 ? 1 : mn));
    }
    if (what & RUN_LATENCY) {
        struct hist *all = calloc(1, sizeof *all);
        for (int i = 0; i < n; i++) {
            hist_merge(all, r->slot[i].hist);
            free(r->slot[i].hist);
        }
        cpat_bench_counter(st, "p50", hist_quantile(all, 0.50));
        cpat_bench_counter(st, "p99", hist_quantile(all, 0.99));
        cpat_bench_counter(st, "p999", hist_quantile(all, 0.999));
        cpat_bench_counter(st, "max", (double)all->max);
        cpat_bench_counter(st, "samples", (double)all->count);
        free(all);
    }
}

void run_finish(struct run *r, cpat_bench_state *st) {
    int n = cpat_bench_threads(st), i = cpat_bench_thread_index(st);
    run_barrier_wait(&r->bar, n); /* timed: the run lasts until its last thread is done */
    cpat_bench_end(st);
    cpat_bench_set_items(st, r->slot[i].ops);
    if (i == 0)
        counters(r, st, n);
}

uint64_t work_iters_100ns = 1;

/* A dependent multiply-add chain: each step needs the previous result,
 * and the first step needs x, the result of the caller's previous work. */
uint64_t work(uint64_t iters, uint64_t x) {
    for (uint64_t i = 0; i < iters; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ __volatile__("" : "+r"(x));
    }
    return x;
}

void work_calibrate(void) {
    const uint64_t probe = 1u << 20;
    uint64_t best = UINT64_MAX;
    for (int rep = 0; rep < 5; rep++) { /* the fastest of five: least disturbed */
        uint64_t t0 = cpat_now_ns();
        uint64_t x = work(probe, (uint64_t)rep);
        __asm__ __volatile__("" : : "r"(x)); /* keep the result: the chain must run */
        uint64_t dt = cpat_now_ns() - t0;
        best = dt < best ? dt : best;
    }
    work_iters_100ns = probe * 100 / (best ? best : 1);
    if (work_iters_100ns == 0)
        work_iters_100ns = 1;
}
