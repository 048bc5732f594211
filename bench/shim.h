/* A C interface to Google Benchmark (implemented in shim.cc, the project's
 * only C++).
 *
 * A benchmark is a C function run by every thread of a run:
 *
 *     static void bm(cpat_bench_state *st, void *ctx) {
 *         // thread 0 may set up shared state here: begin() is a barrier
 *         uint64_t n = cpat_bench_begin(st);   // timing starts
 *         for (uint64_t i = 0; i < n; i++) op();
 *         cpat_bench_end(st);                  // timing stops
 *         cpat_bench_set_items(st, n);
 *     }
 *
 * begin() is Google Benchmark's KeepRunningBatch() asked for the whole run
 * in one batch, so the measured loop is plain C with no call per iteration.
 * Every benchmark uses real (wall-clock) time; items_per_second sums the
 * items of all threads over the mean of their wall times.
 */
#ifndef CPAT_BENCH_SHIM_H
#define CPAT_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpat_bench_state cpat_bench_state;
typedef void (*cpat_bench_fn)(cpat_bench_state *st, void *ctx);

/* Registers `name` to run at each of the thread counts given. */
void cpat_bench_register(const char *name, cpat_bench_fn fn, void *ctx, const int *threads,
                         int nthreads);

uint64_t cpat_bench_begin(cpat_bench_state *st); /* waits for all threads; returns ops to do */
void cpat_bench_end(cpat_bench_state *st);       /* stops this thread's clock */

int cpat_bench_thread_index(const cpat_bench_state *st);
int cpat_bench_threads(const cpat_bench_state *st);

void cpat_bench_set_items(cpat_bench_state *st, uint64_t items); /* this thread's items */
/* A counter; Google Benchmark sums a counter over the threads that set it,
 * so a run-wide figure is set by thread 0 alone. */
void cpat_bench_counter(cpat_bench_state *st, const char *name, double value);
void cpat_bench_skip(cpat_bench_state *st, const char *why); /* marks the run as an error */

/* A key/value for the "context" block of the JSON output. */
void cpat_bench_context(const char *key, const char *value);

/* Called in each benchmark thread before the benchmark function (pinning). */
void cpat_bench_on_thread(void (*hook)(int index, int nthreads));

/* Parses Google Benchmark's flags (removing them from argv); returns the
 * number of arguments left. */
int cpat_bench_init(int argc, char **argv);
/* Runs the benchmarks selected by --benchmark_filter; returns how many ran. */
int cpat_bench_run(void);
/* How many runs marked themselves as errors (cpat_bench_skip). */
int cpat_bench_errors(void);

#ifdef __cplusplus
}
#endif

#endif
