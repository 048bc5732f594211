/* rwlock.* workloads of ../shared/WORKLOADS.md, instantiated for every
 * variant from CPAT_RWLOCK_VARIANTS with its direct (inlined) operations. */
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "common/thread_id.h"
#include "run.h"
#include "rwlock/all.h"

static struct run run; /* one benchmark runs at a time */

/* Which ops are writes: exactly write_pct of every 100 consecutive ops,
 * evenly spaced (Bresenham), the same sequence for every variant and free
 * to draw.  Each thread starts at its own phase so that the threads' writes
 * do not line up. */
struct mix {
    unsigned acc, pct;
};

static inline struct mix mix_start(unsigned write_pct, int me, int threads) {
    return (struct mix){.acc = (unsigned)(me * 100 / threads), .pct = write_pct};
}

static inline bool mix_is_write(struct mix *m) {
    m->acc += m->pct;
    if (m->acc < 100)
        return false;
    m->acc -= 100;
    return true;
}

/* rwlock.cache's map: MAP_KEYS int keys -> int values in a fixed-size
 * open-addressing table (linear probing, half full), plain data guarded by
 * the lock under test. */
#define MAP_KEYS  1024 /* a power of two */
#define MAP_BITS  11
#define MAP_SLOTS (1 << MAP_BITS)
#define MAP_EMPTY (-1)

struct map {
    struct {
        int key, value;
    } slot[MAP_SLOTS];
};

/* The slot holding key, or the empty slot where it would go. */
static inline unsigned map_find(const struct map *m, int key) {
    unsigned i = ((uint32_t)key * 2654435769u) >> (32 - MAP_BITS); /* Fibonacci hashing */
    while (m->slot[i].key != key && m->slot[i].key != MAP_EMPTY)
        i = (i + 1) & (MAP_SLOTS - 1);
    return i;
}

static inline int map_get(const struct map *m, int key) {
    unsigned i = map_find(m, key);
    return m->slot[i].key == key ? m->slot[i].value : -1;
}

static inline void map_put(struct map *m, int key, int value) {
    unsigned i = map_find(m, key);
    m->slot[i].key = key;
    m->slot[i].value = value;
}

/* What the locks guard, shared by every variant's runs. */
static struct {
    alignas(128) uint64_t counter; /* rwlock.mix */
    alignas(128) struct map map;   /* rwlock.cache */
} guarded;

/* Keys each thread looks up or writes: a stride through all MAP_KEYS keys
 * (odd, so it visits them all), from a start of its own. */
#define KEY_STRIDE 617
#define KEY_START  97

/* The write percentages; a run's ctx points at one. */
static const unsigned mix_pcts[4] = {0, 1, 10, 50}, cache_pcts[2] = {1, 10};

#define RWLOCK_BENCHES(V)                                                                          \
    static struct { alignas(128) struct cpat_rwlock_##V l; } shared_##V;                           \
                                                                                                   \
    /* rwlock.uncontended: rdlock+rdunlock of a lock private to the thread. */                     \
    static void rwlock_uncontended_##V(cpat_bench_state *st, void *ctx) {                          \
        (void)ctx;                                                                                 \
        struct {                                                                                   \
            alignas(128) struct cpat_rwlock_##V l;                                                 \
            char pad[128];                                                                         \
        } mine;                                                                                    \
        cpat_rwlock_##V##_init(&mine.l);                                                           \
        (void)cpat_thread_id(); /* bravo's and ck_brlock's readers take one on first use */        \
        uint64_t n = cpat_bench_begin(st);                                                         \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            cpat_rwlock_##V##_rdlock(&mine.l);                                                     \
            cpat_rwlock_##V##_rdunlock(&mine.l);                                                   \
            __asm__ __volatile__("" ::: "memory"); /* one op per iteration, not fused */           \
        }                                                                                          \
        cpat_bench_end(st);                                                                        \
        cpat_bench_set_items(st, n);                                                               \
        cpat_rwlock_##V##_destroy(&mine.l);                                                        \
    }                                                                                              \
                                                                                                   \
    /* rwlock.mix (cache = false): a write increments guarded.counter, a                           \
     * read reads it.  rwlock.cache (cache = true): a write puts a key into                        \
     * guarded.map, a read looks one up.  ctx: the write percentage. */                            \
    static inline void rwlock_shared_loop_##V(cpat_bench_state *st, unsigned write_pct,            \
                                              bool cache) {                                        \
        int me = cpat_bench_thread_index(st), threads = cpat_bench_threads(st);                    \
        if (me == 0) {                                                                             \
            cpat_rwlock_##V##_init(&shared_##V.l);                                                 \
            guarded.counter = 0;                                                                   \
            if (cache) {                                                                           \
                memset(&guarded.map, 0xff, sizeof guarded.map); /* every key MAP_EMPTY */          \
                for (int k = 0; k < MAP_KEYS; k++)                                                 \
                    map_put(&guarded.map, k, k);                                                   \
            }                                                                                      \
        }                                                                                          \
        (void)cpat_thread_id(); /* bravo's and ck_brlock's readers take one on first use */        \
        struct mix mix = mix_start(write_pct, me, threads);                                        \
        int key = me * KEY_START % MAP_KEYS;                                                       \
        uint64_t n = bench_shared_begin(&run, st, RUN_FAIRNESS), sink = 0, i;                      \
        for (i = 0; i < n && run_tick(&run, me, i); i++) {                                         \
            if (mix_is_write(&mix)) {                                                              \
                cpat_rwlock_##V##_wrlock(&shared_##V.l);                                           \
                if (cache)                                                                         \
                    map_put(&guarded.map, key, (int)i);                                            \
                else                                                                               \
                    guarded.counter++;                                                             \
                cpat_rwlock_##V##_wrunlock(&shared_##V.l);                                         \
            } else {                                                                               \
                cpat_rwlock_##V##_rdlock(&shared_##V.l);                                           \
                sink += cache ? (uint64_t)map_get(&guarded.map, key) : guarded.counter;            \
                cpat_rwlock_##V##_rdunlock(&shared_##V.l);                                         \
            }                                                                                      \
            if (cache)                                                                             \
                key = (key + KEY_STRIDE) & (MAP_KEYS - 1);                                         \
        }                                                                                          \
        bench_shared_end(&run, st, i);                                                             \
        bench_keep(sink);                                                                          \
        if (me == 0)                                                                               \
            cpat_rwlock_##V##_destroy(&shared_##V.l);                                              \
    }                                                                                              \
    static void rwlock_mix_##V(cpat_bench_state *st, void *ctx) {                                  \
        rwlock_shared_loop_##V(st, *(const unsigned *)ctx, false);                                 \
    }                                                                                              \
    static void rwlock_cache_##V(cpat_bench_state *st, void *ctx) {                                \
        rwlock_shared_loop_##V(st, *(const unsigned *)ctx, true);                                  \
    }

CPAT_RWLOCK_VARIANTS(RWLOCK_BENCHES)

/* Workload by workload, and every variant at one write_pct before the
 * next, so a sweep's progress reads in that order. */
void register_rwlock(const struct thread_sets *ts) {
#define REG_UNCONTENDED(V)                                                                         \
    bench_reg(rwlock_uncontended_##V, NULL, ts->scaling, ts->nscaling, "rwlock.uncontended/%s", #V);
#define REG_MIX(V)                                                                                 \
    bench_reg(rwlock_mix_##V, (void *)pct, ts->scaling, ts->nscaling,                              \
              "rwlock.mix/%s/write_pct:%u", #V, *pct);
#define REG_CACHE(V)                                                                               \
    bench_reg(rwlock_cache_##V, (void *)pct, ts->scaling, ts->nscaling,                            \
              "rwlock.cache/%s/write_pct:%u", #V, *pct);
    CPAT_RWLOCK_VARIANTS(REG_UNCONTENDED)
    for (const unsigned *pct = mix_pcts; pct < mix_pcts + 4; pct++) {
        CPAT_RWLOCK_VARIANTS(REG_MIX)
    }
    for (const unsigned *pct = cache_pcts; pct < cache_pcts + 2; pct++) {
        CPAT_RWLOCK_VARIANTS(REG_CACHE)
    }
}
