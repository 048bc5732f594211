/* What the workload files of cpat-bench share. */
#ifndef CPAT_BENCH_BENCH_H
#define CPAT_BENCH_BENCH_H

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

/* Keeps a value alive without a memory access. */
#define bench_keep(x) __asm__ __volatile__("" : : "r"(x))

#endif
