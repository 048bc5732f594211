/* Unit tests of cpat-bench's parts: the histogram's error bound and the
 * pinning policies' PU orders.  Ends with "N passed, N failed". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "pin.h"

static int passed, failed;

static void check(int ok, const char *what, double got, double want) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: got %g, want %g\n", what, got, want);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Quantiles within 1% of the exact ones, over values from 1 ns to ~1 s. */
static void test_hist(void) {
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v), x = 88172645463325252ull;
    struct hist *h = calloc(1, sizeof *h);
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v[i] = 1 + (x % 1000) * (1ull << (x >> 58) % 20); /* log-spread */
        hist_add(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    const double qs[] = {0.5, 0.9, 0.99, 0.999};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double want = (double)v[(size_t)(qs[i] * (N - 1))], got = hist_quantile(h, qs[i]);
        char what[64];
        snprintf(what, sizeof what, "hist quantile %g within 1%%", qs[i]);
        check(got >= want * 0.99 && got <= want * 1.01, what, got, want);
    }
    check(h->max == v[N - 1], "hist max exact", (double)h->max, (double)v[N - 1]);
    check(h->count == N, "hist count", (double)h->count, N);
    /* Bucket indices never decrease with the value and stay in range. */
    unsigned prev = 0;
    int monotone = 1;
    for (uint64_t y = 1; y < (1ull << 40); y += y / 64 + 1) {
        unsigned b = hist_index(y);
        monotone &= b >= prev && b < HIST_BUCKETS;
        prev = b;
    }
    check(monotone, "hist_index monotone and in range", 0, 1);
    check(hist_index(UINT64_MAX) < HIST_BUCKETS, "hist_index(max) in range", hist_index(UINT64_MAX),
          HIST_BUCKETS);
    free(v);
    free(h);
}

/* Each policy places the first npus threads on distinct PUs. */
static void test_pin(void) {
    check(pin_init("bogus") == -1, "unknown policy refused", 0, -1);
    const char *policies[] = {"compact", "spread"};
    for (int p = 0; p < 2; p++) {
        check(pin_init(policies[p]) == 0, policies[p], -1, 0);
        int n = pin_npus(), distinct = 1;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                distinct &= pin_pu_of(i) != pin_pu_of(j);
        check(n > 0 && distinct, "first npus threads on distinct PUs", n, n);
        check(pin_pu_of(n) == pin_pu_of(0), "thread npus wraps to thread 0's PU", pin_pu_of(n),
              pin_pu_of(0));
    }
    check(pin_init("none") == 0 && pin_pu_of(0) == -1, "none pins nothing", pin_pu_of(0), -1);
}

int main(void) {
    test_hist();
    test_pin();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
