/* Log-linear latency histogram (HDR style).  Values below 128 ns have a
 * bucket each; above, every power of two [2^e, 2^(e+1)) is cut into 128
 * equal buckets, so a bucket is at most 1/128 of its values wide and the
 * reported midpoint is within 0.4% of every value in it. */
#ifndef CPAT_BENCH_HIST_H
#define CPAT_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
    uint64_t count, max;
    uint64_t bucket[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t v) {
    if (v < HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 2^e <= v */
    return (e - HIST_SUB_BITS + 1) * HIST_SUB +
           (unsigned)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

static inline void hist_add(struct hist *h, uint64_t v) {
    h->bucket[hist_index(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

void hist_merge(struct hist *into, const struct hist *from);
double hist_quantile(const struct hist *h, double q); /* q in [0, 1]; 0 when empty */

#endif
