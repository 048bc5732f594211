#include "hist.h"

void hist_merge(struct hist *into, const struct hist *from) {
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    if (from->max > into->max)
        into->max = from->max;
}

/* Midpoint of bucket i: the inverse of hist_index. */
static double bucket_mid(unsigned i) {
    if (i < HIST_SUB)
        return i;
    unsigned e = i / HIST_SUB + HIST_SUB_BITS - 1, sub = i % HIST_SUB;
    double width = (double)(1ull << (e - HIST_SUB_BITS));
    return (double)(1ull << e) + (sub + 0.5) * width;
}

double hist_quantile(const struct hist *h, double q) {
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1, seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        if ((seen += h->bucket[i]) >= rank) {
            double mid = bucket_mid(i);
            return mid > (double)h->max ? (double)h->max : mid;
        }
    return (double)h->max;
}
