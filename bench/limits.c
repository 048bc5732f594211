/* limits.*: the machine's own floors, measured in every sweep so each
 * figure can be read as a ratio to what the hardware allows. */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>

#include "bench.h"
#include "common/clock.h"
#include "common/futex.h"
#include "common/spin.h"
#include "pin.h"

static struct {
    alignas(128) _Atomic uint32_t word; /* the line that travels */
    alignas(128) _Atomic uint64_t flag; /* read-only for acquire_load */
} lim;

/* limits.acquire_load: one acquire load and a branch on it. */
static void acquire_load(cpat_bench_state *st, void *ctx) {
    (void)ctx;
    uint64_t n = cpat_bench_begin(st), hits = 0;
    for (uint64_t i = 0; i < n; i++)
        if (atomic_load_explicit(&lim.flag, memory_order_acquire) == i) /* never after i = 0 */
            hits++;
    cpat_bench_end(st);
    bench_keep(hits);
    cpat_bench_set_items(st, n);
}

/* limits.atomic_rmw: one uncontended fetch_add on a thread-private line. */
static void atomic_rmw(cpat_bench_state *st, void *ctx) {
    (void)ctx;
    alignas(128) _Atomic uint64_t mine = 0;
    uint64_t n = cpat_bench_begin(st);
    for (uint64_t i = 0; i < n; i++)
        atomic_fetch_add_explicit(&mine, 1, memory_order_relaxed);
    cpat_bench_end(st);
    bench_keep(atomic_load_explicit(&mine, memory_order_relaxed));
    cpat_bench_set_items(st, n);
}

/* limits.clock: one read of the clock the latency histograms use. */
static void clock_read(cpat_bench_state *st, void *ctx) {
    (void)ctx;
    uint64_t n = cpat_bench_begin(st), sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += cpat_now_ns();
    cpat_bench_end(st);
    bench_keep(sum);
    cpat_bench_set_items(st, n);
}

/* limits.cacheline_rtt/pair:<kind>: thread 0 writes an odd value, thread 1
 * answers with the next even one; one item is one round trip of the line.
 * ctx: the two PUs.  Both threads are pinned to the pair whatever --pin. */
static void cacheline_rtt(cpat_bench_state *st, void *ctx) {
    const int *pair = ctx;
    int me = cpat_bench_thread_index(st);
    pin_self_to(pair[me]);
    if (me == 0)
        atomic_store_explicit(&lim.word, 0, memory_order_relaxed);
    uint64_t n = cpat_bench_begin(st);
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        uint32_t ping = 2 * i + 1, pong = 2 * i + 2;
        /* Each release store pairs with the other side's acquire load: the
         * line carries a message each way, as a lock hand-off's does. */
        if (me == 0) {
            atomic_store_explicit(&lim.word, ping, memory_order_release);
            while (atomic_load_explicit(&lim.word, memory_order_acquire) != pong)
                cpat_cpu_relax();
        } else {
            while (atomic_load_explicit(&lim.word, memory_order_acquire) != ping)
                cpat_cpu_relax();
            atomic_store_explicit(&lim.word, pong, memory_order_release);
        }
    }
    cpat_bench_end(st);
    cpat_bench_set_items(st, me == 0 ? n : 0);
}

/* limits.futex_rtt: the same round trip, but each side sleeps in
 * FUTEX_WAIT until the other wakes it: the cost of parking. */
static void futex_rtt(cpat_bench_state *st, void *ctx) {
    (void)ctx;
    int me = cpat_bench_thread_index(st);
    if (me == 0)
        atomic_store_explicit(&lim.word, 0, memory_order_relaxed);
    uint64_t n = cpat_bench_begin(st);
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        uint32_t ping = 2 * i + 1, pong = 2 * i + 2;
        uint32_t send = me == 0 ? ping : pong, await = me == 0 ? pong : ping, seen;
        if (me == 0) { /* release pairs with thread 1's acquire load below */
            atomic_store_explicit(&lim.word, send, memory_order_release);
            cpat_futex_wake(&lim.word, 1);
        }
        /* Sleep until the word shows the other side's value; re-check
         * after every return (spurious wakes, or it changed already). */
        while ((seen = atomic_load_explicit(&lim.word, memory_order_acquire)) != await)
            cpat_futex_wait(&lim.word, seen, NULL);
        if (me == 1) {
            atomic_store_explicit(&lim.word, send, memory_order_release);
            cpat_futex_wake(&lim.word, 1);
        }
    }
    cpat_bench_end(st);
    cpat_bench_set_items(st, me == 0 ? n : 0);
}

/* limits.timed_wait: one bare FUTEX_WAIT_BITSET on a word no one changes,
 * with an absolute CLOCK_MONOTONIC deadline TIMED_WAIT_NS ahead.  Latency:
 * the overshoot, return time - deadline: the floor under every deadline
 * (context.deadline_overshoot).  It includes the thread's timer slack
 * (/proc/self/timerslack_ns, 50 us by default), which the kernel may add
 * to any timed sleep.  An item is one wait (TIMED_WAIT_NS + overshoot). */
#define TIMED_WAIT_NS 50000
static struct run timed_run;
static _Atomic uint32_t never_changes; /* stays 0 */

static void timed_wait(cpat_bench_state *st, void *ctx) {
    (void)ctx;
    uint64_t n = bench_shared_begin(&timed_run, st, RUN_LATENCY), i;
    struct hist *h = timed_run.slot[0].hist;
    for (i = 0; i < n && run_tick(&timed_run, 0, i); i++) {
        uint64_t deadline = cpat_now_ns() + TIMED_WAIT_NS;
        struct timespec ts = cpat_ns_to_timespec(deadline);
        /* 0 is a spurious wake or a signal, before the deadline: wait again. */
        while (cpat_futex_wait(&never_changes, 0, &ts) != ETIMEDOUT)
            ;
        uint64_t now = cpat_now_ns();
        hist_add(h, now > deadline ? now - deadline : 0);
    }
    bench_shared_end(&timed_run, st, i);
}

void register_limits(const struct thread_sets *ts) {
    (void)ts;
    static const int one[] = {1}, two[] = {2};
    cpat_bench_register("limits.acquire_load", acquire_load, NULL, one, 1);
    cpat_bench_register("limits.atomic_rmw", atomic_rmw, NULL, one, 1);
    cpat_bench_register("limits.clock", clock_read, NULL, one, 1);
    static int pairs[8][2];
    const char *labels[8];
    size_t np = pin_pairs(pairs, 8, labels);
    for (size_t i = 0; i < np; i++) {
        char name[96];
        snprintf(name, sizeof name, "limits.cacheline_rtt/pair:%s-%d-%d", labels[i], pairs[i][0],
                 pairs[i][1]);
        cpat_bench_register(name, cacheline_rtt, pairs[i], two, 1);
    }
    cpat_bench_register("limits.futex_rtt", futex_rtt, NULL, two, 1);
    cpat_bench_register("limits.timed_wait", timed_wait, NULL, one, 1);
}
