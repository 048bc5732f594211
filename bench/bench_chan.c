/* chan.* and select.* workloads of ../shared/WORKLOADS.md, instantiated for
 * every channel variant from CPAT_CHAN_VARIANTS with its direct (inlined)
 * operations: the capacity-0 points only for CPAT_CHAN_UNBUFFERED_VARIANTS,
 * select.* only for CPAT_CHAN_SELECT_VARIANTS.  Each workload does what its
 * twin in bench/go/chan.go does, item for item.
 *
 * Sender/receiver workloads (chan.prodcons, chan.prodcons_work,
 * chan.latency, select.prodcons) split the T threads as chan.go's split():
 * threads 0..T/2-1 send, the other T - T/2 receive.  Google Benchmark gives
 * every thread the same count n: each sender sends n values (fewer if the
 * time cap stops it), the last sender to finish closes the channel, and
 * receivers take values until recv returns EPIPE (closed and drained), so a
 * run cut short by the cap still ends.  Items are counted where values
 * arrive: a receiver's items are the values it took, a sender's none, so
 * items = values transferred.
 *
 * The null variant transfers nothing and never reports a close, so its
 * receivers instead take exactly their part of the n x senders values, and
 * stop at the time cap as the senders do (nothing blocks): its figure is the
 * harness's own cost. */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "chan/all.h"
#include "common/clock.h"
#include "cpat/chan.h"
#include "cpat/error.h"
#include "run.h"

static struct run run; /* one benchmark runs at a time */

/* What senders send where the value does not matter (Go sends 1). */
#define CHAN_VALUE ((void *)(uintptr_t)1)

/* Between two ops of a private-channel loop: each op is done on its own,
 * not fused with the next or removed (null's, which do nothing). */
#define CHAN_ONE_OP() __asm__ __volatile__("" ::: "memory")

/* The sender/receiver split and the close of the sender/receiver workloads. */
static struct {
    alignas(128) _Atomic int sending; /* senders not done yet; the last one closes */
    int senders;
} pc;

/* chan.go's split(): half the threads send, the receivers get the odd one. */
static inline int pc_senders(int threads) {
    return threads / 2 < 1 ? 1 : threads / 2;
}

/* The fairness window of run.h (run_tick's first half) for a loop that
 * does not stop at the time cap: a receiver must drain until the close. */
static inline void pc_window(int me, uint64_t done) {
    struct run_slot *s = &run.slot[me];
    if (s->in_window && atomic_load_explicit(&run.window_closed, memory_order_relaxed)) {
        s->window_ops = done;
        s->in_window = false;
    }
}

/* A sender's run_stop: its items are 0 (values count where they arrive),
 * but its window count is what it sent, also when it is the first to
 * finish (run_stop would note its 0 items). */
static inline void pc_sender_stop(int me, uint64_t sent) {
    struct run_slot *s = &run.slot[me];
    if (s->in_window) {
        s->window_ops = sent;
        s->in_window = false;
    }
    run_stop(&run, me, 0);
}

/* What a null receiver takes: its part of the n x senders values. */
static inline uint64_t pc_null_share(uint64_t n, int me, int threads) {
    int senders = pc_senders(threads), receivers = threads - senders, r = me - senders;
    uint64_t all = n * (uint64_t)senders;
    return all / (uint64_t)receivers + ((uint64_t)r < all % (uint64_t)receivers);
}

/* Thread 0, after run_finish: fairness and max_min (README) over the
 * per-thread counts at the moment the first thread finished, each divided
 * by the mean of its side (senders count values sent, receivers values
 * taken), so 1.0 is every sender sending and every receiver taking an equal
 * part. */
static void pc_fairness(cpat_bench_state *st) {
    int threads = cpat_bench_threads(st), side_n[2] = {pc.senders, threads - pc.senders};
    double side_sum[2] = {0, 0}, sum = 0, sum2 = 0, mx = 0, mn = 1e300;
    for (int i = 0; i < threads; i++)
        side_sum[i >= pc.senders] += (double)run.slot[i].window_ops;
    for (int i = 0; i < threads; i++) {
        int side = i >= pc.senders;
        double w = (double)run.slot[i].window_ops, mean = side_sum[side] / side_n[side];
        if (mean <= 0)
            return; /* a side did nothing before the first thread finished */
        double x = w / mean, floor1 = (w < 1 ? 1 : w) / mean; /* max_min: as run.c, >= 1 op */
        sum += x;
        sum2 += x * x;
        mx = floor1 > mx ? floor1 : mx;
        mn = floor1 < mn ? floor1 : mn;
    }
    cpat_bench_counter(st, "fairness", sum * sum / (threads * sum2));
    cpat_bench_counter(st, "max_min", mx / mn);
}

enum pc_mode {
    PC_PLAIN,   /* chan.prodcons */
    PC_WORK,    /* chan.prodcons_work, select.prodcons: ~100 ns work per value per side */
    PC_LATENCY, /* chan.latency: the value is the send time; receivers record now - value */
};

#define CHAN_MAKE(V, chp, capacity)                                                                \
    do {                                                                                           \
        int rc_ = cpat_chan_##V##_make((chp), (capacity));                                         \
        if (rc_)                                                                                   \
            cpat_die("cpat_chan_" #V "_make", rc_);                                                \
    } while (0)

/* The loop of a sender/receiver workload, as function NAME of variant V
 * sending with SEND(ch, value) and receiving with RECV(ch, &value) (the
 * direct ops, or select.prodcons' selects); either returning non-zero ends
 * the thread's loop.  with_done: also make select.prodcons' Done channel
 * (capacity 0, as Go's ctx.Done()). */
#define PC_LOOP(V, NAME, SEND, RECV)                                                               \
    static inline void NAME(cpat_bench_state *st, size_t capacity, enum pc_mode mode,              \
                            bool with_done) {                                                      \
        int me = cpat_bench_thread_index(st), threads = cpat_bench_threads(st);                    \
        const bool null = strcmp(#V, "null") == 0;                                                 \
        if (me == 0) {                                                                             \
            CHAN_MAKE(V, &shared_##V.ch, capacity);                                                \
            shared_##V.done = NULL;                                                                \
            if (with_done)                                                                         \
                CHAN_MAKE(V, &shared_##V.done, 0);                                                 \
            pc.senders = pc_senders(threads);                                                      \
            atomic_store_explicit(&pc.sending, pc.senders, memory_order_relaxed);                  \
        }                                                                                          \
        uint64_t n = bench_shared_begin(&run, st, mode == PC_LATENCY ? RUN_LATENCY : 0), i,        \
                 sink = 0;                                                                         \
        struct cpat_chan_##V *ch = shared_##V.ch;                                                  \
        if (me < pc.senders) {                                                                     \
            for (i = 0; i < n && run_tick(&run, me, i); i++) {                                     \
                if (mode == PC_WORK)                                                               \
                    sink = work(work_iters_100ns, sink);                                           \
                void *v = mode == PC_LATENCY ? (void *)(uintptr_t)cpat_now_ns() : CHAN_VALUE;      \
                if (SEND(ch, v))                                                                   \
                    break; /* only null may: no one closes before the last sender ends */          \
            }                                                                                      \
            /* acq_rel: the last sender's close comes after every send. */                         \
            if (atomic_fetch_sub_explicit(&pc.sending, 1, memory_order_acq_rel) == 1)              \
                cpat_chan_##V##_close(ch);                                                         \
            pc_sender_stop(me, i);                                                                 \
        } else {                                                                                   \
            uint64_t most = null ? pc_null_share(n, me, threads) : UINT64_MAX;                     \
            struct hist *h = run.slot[me].hist;                                                    \
            void *v;                                                                               \
            for (i = 0; i < most && (!null || run_tick(&run, me, i)); i++) {                       \
                if (RECV(ch, &v))                                                                  \
                    break; /* EPIPE: closed and drained */                                         \
                if (mode == PC_WORK)                                                               \
                    sink = work(work_iters_100ns, sink);                                           \
                if (mode == PC_LATENCY) {                                                          \
                    uint64_t now = cpat_now_ns(), sent = (uint64_t)(uintptr_t)v;                   \
                    hist_add(h, now > sent ? now - sent : 0);                                      \
                }                                                                                  \
                pc_window(me, i + 1);                                                              \
            }                                                                                      \
            run_stop(&run, me, i);                                                                 \
        }                                                                                          \
        run_finish(&run, st);                                                                      \
        bench_keep(sink);                                                                          \
        if (me == 0) {                                                                             \
            if (mode != PC_LATENCY)                                                                \
                pc_fairness(st);                                                                   \
            cpat_chan_##V##_destroy(shared_##V.ch);                                                \
            if (shared_##V.done)                                                                   \
                cpat_chan_##V##_destroy(shared_##V.done);                                          \
        }                                                                                          \
    }

#define CHAN_BENCHES(V)                                                                            \
    static struct {                                                                                \
        alignas(128) struct cpat_chan_##V *ch; /* the shared channel */                            \
        struct cpat_chan_##V *done;            /* select.prodcons: never closed */                 \
    } shared_##V;                                                                                  \
                                                                                                   \
    PC_LOOP(V, chan_pc_loop_##V, cpat_chan_##V##_send, cpat_chan_##V##_recv)                       \
                                                                                                   \
    /* chan.prodcons/cap:C (ctx: C): one value through a shared channel. */                        \
    static void chan_prodcons_##V(cpat_bench_state *st, void *ctx) {                               \
        chan_pc_loop_##V(st, (size_t)(uintptr_t)ctx, PC_PLAIN, false);                             \
    }                                                                                              \
    /* chan.prodcons_work/cap:C: ~100 ns of work before each send and after                        \
     * each receive. */                                                                            \
    static void chan_prodcons_work_##V(cpat_bench_state *st, void *ctx) {                          \
        chan_pc_loop_##V(st, (size_t)(uintptr_t)ctx, PC_WORK, false);                              \
    }                                                                                              \
    /* chan.latency/cap:C: senders send their clock back to back; the                              \
     * receiver records now - value. */                                                            \
    static void chan_latency_##V(cpat_bench_state *st, void *ctx) {                                \
        chan_pc_loop_##V(st, (size_t)(uintptr_t)ctx, PC_LATENCY, false);                           \
    }                                                                                              \
                                                                                                   \
    /* chan.uncontended/cap:100: fill a private channel, then drain it; one                        \
     * item is one value (a send and a receive). */                                                \
    static void chan_uncontended_##V(cpat_bench_state *st, void *ctx) {                            \
        (void)ctx;                                                                                 \
        enum { CAP = 100 };                                                                        \
        struct cpat_chan_##V *mine;                                                                \
        CHAN_MAKE(V, &mine, CAP);                                                                  \
        uint64_t n = cpat_bench_begin(st), batches = (n + CAP - 1) / CAP;                          \
        int bad = 0;                                                                               \
        void *v;                                                                                   \
        for (uint64_t b = 0; b < batches; b++) {                                                   \
            for (int i = 0; i < CAP; i++) {                                                        \
                bad |= cpat_chan_##V##_send(mine, CHAN_VALUE);                                     \
                CHAN_ONE_OP();                                                                     \
            }                                                                                      \
            for (int i = 0; i < CAP; i++) {                                                        \
                bad |= cpat_chan_##V##_recv(mine, &v);                                             \
                CHAN_ONE_OP();                                                                     \
            }                                                                                      \
        }                                                                                          \
        cpat_bench_end(st);                                                                        \
        cpat_bench_set_items(st, CAP *batches);                                                    \
        cpat_chan_##V##_destroy(mine);                                                             \
        if (bad)                                                                                   \
            cpat_bench_skip(st, "send or recv failed on a private channel");                       \
    }                                                                                              \
                                                                                                   \
    /* chan.nonblocking: tryrecv on a shared empty channel, of capacity 0                          \
     * (Go's make(chan int)) where the variant has it, else 1. */                                  \
    static void chan_nonblocking_##V(cpat_bench_state *st, void *ctx) {                            \
        (void)ctx;                                                                                 \
        int me = cpat_bench_thread_index(st);                                                      \
        if (me == 0)                                                                               \
            CHAN_MAKE(V, &shared_##V.ch,                                                           \
                      (cpat_chan_##V##_ops.flags & CPAT_CHAN_UNBUFFERED) ? 0 : 1);                 \
        uint64_t n = bench_shared_begin(&run, st, 0), i, got = 0;                                  \
        struct cpat_chan_##V *ch = shared_##V.ch;                                                  \
        void *v;                                                                                   \
        for (i = 0; i < n && run_tick(&run, me, i); i++)                                           \
            got += cpat_chan_##V##_tryrecv(ch, &v) == 0;                                           \
        bench_shared_end(&run, st, i);                                                             \
        if (me == 0)                                                                               \
            cpat_chan_##V##_destroy(shared_##V.ch);                                                \
        if (got && strcmp(#V, "null") != 0)                                                        \
            cpat_bench_skip(st, "tryrecv took a value from an empty channel");                     \
    }

/* chan.sync: two threads ping-pong on an unbuffered channel; one item is
 * one hand-off, counted by the thread that receives it.  Thread 0 sends
 * then receives, n rounds or until the time cap, then closes: thread 1
 * (receive then send, at most n rounds) ends on EPIPE.  (null's thread 1
 * stops at the cap itself: its recv never fails.) */
#define CHAN_SYNC_BENCH(V)                                                                         \
    static void chan_sync_##V(cpat_bench_state *st, void *ctx) {                                   \
        (void)ctx;                                                                                 \
        int me = cpat_bench_thread_index(st);                                                      \
        const bool null = strcmp(#V, "null") == 0;                                                 \
        if (me == 0)                                                                               \
            CHAN_MAKE(V, &shared_##V.ch, 0);                                                       \
        uint64_t n = bench_shared_begin(&run, st, 0), got = 0;                                     \
        struct cpat_chan_##V *ch = shared_##V.ch;                                                  \
        void *v;                                                                                   \
        if (me == 0) {                                                                             \
            for (uint64_t i = 0; i < n && run_tick(&run, me, i); i++) {                            \
                if (cpat_chan_##V##_send(ch, CHAN_VALUE) || cpat_chan_##V##_recv(ch, &v))          \
                    break;                                                                         \
                got++;                                                                             \
            }                                                                                      \
            cpat_chan_##V##_close(ch);                                                             \
        } else {                                                                                   \
            for (uint64_t i = 0; i < n && (!null || run_tick(&run, me, i)); i++) {                 \
                if (cpat_chan_##V##_recv(ch, &v))                                                  \
                    break; /* EPIPE: thread 0 stopped */                                           \
                got++;                                                                             \
                if (cpat_chan_##V##_send(ch, CHAN_VALUE))                                          \
                    break;                                                                         \
            }                                                                                      \
        }                                                                                          \
        bench_shared_end(&run, st, got);                                                           \
        if (me == 0)                                                                               \
            cpat_chan_##V##_destroy(shared_##V.ch);                                                \
    }

/* select.*: every select blocks (CPAT_FOREVER), as Go's with no default. */
#define SELECT_BENCHES(V)                                                                          \
    /* select.prodcons: a send is a select of {send on ch, recv on done}, a                        \
     * receive one of {recv on ch, recv on done}; done (never closed, no one                       \
     * sends on it) stands for a context's Done.  Done firing ends the loop                        \
     * (ECANCELED); it cannot. */                                                                  \
    static inline int select_send_##V(struct cpat_chan_##V *ch, void *v) {                         \
        struct cpat_select_case c[2] = {{ch, CPAT_SEND, v}, {shared_##V.done, CPAT_RECV, NULL}};   \
        size_t k;                                                                                  \
        int rc = cpat_chan_##V##_select(c, 2, CPAT_FOREVER, &k);                                   \
        return rc ? rc : k == 0 ? 0 : ECANCELED;                                                   \
    }                                                                                              \
    static inline int select_recv_##V(struct cpat_chan_##V *ch, void **v) {                        \
        struct cpat_select_case c[2] = {{ch, CPAT_RECV, NULL},                                     \
                                        {shared_##V.done, CPAT_RECV, NULL}};                       \
        size_t k;                                                                                  \
        int rc = cpat_chan_##V##_select(c, 2, CPAT_FOREVER, &k);                                   \
        *v = c[0].value;                                                                           \
        return rc ? rc : k == 0 ? 0 : ECANCELED;                                                   \
    }                                                                                              \
    PC_LOOP(V, select_pc_loop_##V, select_send_##V, select_recv_##V)                               \
    static void select_prodcons_##V(cpat_bench_state *st, void *ctx) {                             \
        (void)ctx;                                                                                 \
        select_pc_loop_##V(st, 128, PC_WORK, true);                                                \
    }                                                                                              \
                                                                                                   \
    /* select.uncontended: two private 1-slot channels with one value between                      \
     * them; one item is a 2-case select that receives it and a send that                          \
     * moves it to the other channel. */                                                           \
    static void select_uncontended_##V(cpat_bench_state *st, void *ctx) {                          \
        (void)ctx;                                                                                 \
        struct cpat_chan_##V *c1, *c2;                                                             \
        CHAN_MAKE(V, &c1, 1);                                                                      \
        CHAN_MAKE(V, &c2, 1);                                                                      \
        int bad = cpat_chan_##V##_send(c1, CHAN_VALUE);                                            \
        uint64_t n = cpat_bench_begin(st);                                                         \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            struct cpat_select_case c[2] = {{c1, CPAT_RECV, NULL}, {c2, CPAT_RECV, NULL}};         \
            size_t k = 0;                                                                          \
            bad |= cpat_chan_##V##_select(c, 2, CPAT_FOREVER, &k);                                 \
            bad |= cpat_chan_##V##_send(k == 0 ? c2 : c1, CHAN_VALUE);                             \
            CHAN_ONE_OP();                                                                         \
        }                                                                                          \
        cpat_bench_end(st);                                                                        \
        cpat_bench_set_items(st, n);                                                               \
        cpat_chan_##V##_destroy(c1);                                                               \
        cpat_chan_##V##_destroy(c2);                                                               \
        if (bad)                                                                                   \
            cpat_bench_skip(st, "select or send failed on a private channel");                     \
    }

CPAT_CHAN_VARIANTS(CHAN_BENCHES)
CPAT_CHAN_UNBUFFERED_VARIANTS(CHAN_SYNC_BENCH)
CPAT_CHAN_SELECT_VARIANTS(SELECT_BENCHES)

/* Workload by workload, so a sweep's progress reads in that order.
 * Thread counts: chan.sync 2; the sender/receiver workloads need one of
 * each, so 2.. of the scaling set, and chan.prodcons*, select.prodcons also
 * the oversubscribed point (4xPUs, the chart's last point); chan.latency
 * pairs only; the rest the scaling set. */
void register_chan(const struct thread_sets *ts) {
    static const int two[] = {2};
    int pc_threads[65], npc = 0;
    bool over_in = false;
    for (int i = 0; i < ts->npairs; i++) {
        pc_threads[npc++] = ts->pairs[i];
        over_in |= ts->pairs[i] == ts->over[0];
    }
    if (!over_in)
        pc_threads[npc++] = ts->over[0];
#define CAP(c)      ((void *)(uintptr_t)(c))
#define REG_SYNC(V) bench_reg(chan_sync_##V, NULL, two, 1, "chan.sync/%s", #V);
#define REG_PC0(V)                                                                                 \
    bench_reg(chan_prodcons_##V, CAP(0), pc_threads, npc, "chan.prodcons/%s/cap:0", #V);
#define REG_PC(V, c)                                                                               \
    bench_reg(chan_prodcons_##V, CAP(c), pc_threads, npc, "chan.prodcons/%s/cap:%d", #V, c);
#define REG_PC10(V)  REG_PC(V, 10)
#define REG_PC100(V) REG_PC(V, 100)
#define REG_PCW0(V)                                                                                \
    bench_reg(chan_prodcons_work_##V, CAP(0), pc_threads, npc, "chan.prodcons_work/%s/cap:0", #V);
#define REG_PCW(V, c)                                                                              \
    bench_reg(chan_prodcons_work_##V, CAP(c), pc_threads, npc, "chan.prodcons_work/%s/cap:%d", #V, \
              c);
#define REG_PCW10(V)  REG_PCW(V, 10)
#define REG_PCW100(V) REG_PCW(V, 100)
#define REG_UNCONTENDED(V)                                                                         \
    bench_reg(chan_uncontended_##V, NULL, ts->scaling, ts->nscaling,                               \
              "chan.uncontended/%s/cap:100", #V);
#define REG_NONBLOCKING(V)                                                                         \
    bench_reg(chan_nonblocking_##V, NULL, ts->scaling, ts->nscaling, "chan.nonblocking/%s", #V);
/* No chan.latency/null: it transfers no value to time. */
#define REG_LAT(V, c)                                                                              \
    if (strcmp(#V, "null") != 0 && ts->npairs > 0)                                                 \
        bench_reg(chan_latency_##V, CAP(c), ts->pairs, ts->npairs, "chan.latency/%s/cap:%d", #V, c);
#define REG_LAT0(V)   REG_LAT(V, 0)
#define REG_LAT100(V) REG_LAT(V, 100)
#define REG_SEL_UNCONTENDED(V)                                                                     \
    bench_reg(select_uncontended_##V, NULL, ts->scaling, ts->nscaling, "select.uncontended/%s", #V);
#define REG_SEL_PC(V)                                                                              \
    bench_reg(select_prodcons_##V, NULL, pc_threads, npc, "select.prodcons/%s", #V);
    CPAT_CHAN_UNBUFFERED_VARIANTS(REG_SYNC)
    CPAT_CHAN_UNBUFFERED_VARIANTS(REG_PC0)
    CPAT_CHAN_VARIANTS(REG_PC10)
    CPAT_CHAN_VARIANTS(REG_PC100)
    CPAT_CHAN_UNBUFFERED_VARIANTS(REG_PCW0)
    CPAT_CHAN_VARIANTS(REG_PCW10)
    CPAT_CHAN_VARIANTS(REG_PCW100)
    CPAT_CHAN_VARIANTS(REG_UNCONTENDED)
    CPAT_CHAN_VARIANTS(REG_NONBLOCKING)
    CPAT_CHAN_UNBUFFERED_VARIANTS(REG_LAT0)
    CPAT_CHAN_VARIANTS(REG_LAT100)
    CPAT_CHAN_SELECT_VARIANTS(REG_SEL_UNCONTENDED)
    CPAT_CHAN_SELECT_VARIANTS(REG_SEL_PC)
}
