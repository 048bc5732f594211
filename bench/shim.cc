// The Google Benchmark shim: the one C++ file of cpat.  Everything here
// forwards to benchmark::State; see shim.h for the contract.
#include "shim.h"

#include <benchmark/benchmark.h>

#include <atomic>

struct cpat_bench_state {
    benchmark::State *s;
    bool finished; // the clock has stopped (end() or a skip before begin())
};

static void (*thread_hook)(int, int);
static std::atomic<int> errors; // runs marked with cpat_bench_skip()

extern "C" void cpat_bench_register(const char *name, cpat_bench_fn fn, void *ctx,
                                    const int *threads, int nthreads) {
    benchmark::internal::Benchmark *b =
        benchmark::RegisterBenchmark(name, [fn, ctx](benchmark::State &s) {
            if (thread_hook)
                thread_hook(s.thread_index(), s.threads());
            cpat_bench_state st{&s, false};
            fn(&st, ctx);
        });
    b->UseRealTime();
    for (int i = 0; i < nthreads; i++)
        b->Threads(threads[i]);
}

extern "C" uint64_t cpat_bench_begin(cpat_bench_state *st) {
    benchmark::State &s = *st->s;
    benchmark::IterationCount n = s.max_iterations;
    // The first batch starts the clock after the start barrier; asking for
    // every iteration at once leaves nothing for the closing call but to stop.
    if (!s.KeepRunningBatch(n)) {
        st->finished = true; // skipped with an error before it began
        return 0;
    }
    return (uint64_t)n;
}

extern "C" void cpat_bench_end(cpat_bench_state *st) {
    // begin() took the whole run in one batch, so this call stops the clock
    // and returns false; a second call would wait at the barrier again.
    if (!st->finished)
        st->finished = !st->s->KeepRunningBatch(1);
}

extern "C" int cpat_bench_thread_index(const cpat_bench_state *st) {
    return st->s->thread_index();
}

extern "C" int cpat_bench_threads(const cpat_bench_state *st) {
    return st->s->threads();
}

extern "C" void cpat_bench_set_items(cpat_bench_state *st, uint64_t items) {
    st->s->SetItemsProcessed((int64_t)items);
}

extern "C" void cpat_bench_counter(cpat_bench_state *st, const char *name, double value) {
    st->s->counters[name] = benchmark::Counter(value);
}

extern "C" void cpat_bench_skip(cpat_bench_state *st, const char *why) {
    st->s->SkipWithError(why);
    errors.fetch_add(1, std::memory_order_relaxed); // read after every run has joined
}

extern "C" void cpat_bench_context(const char *key, const char *value) {
    benchmark::AddCustomContext(key, value);
}

extern "C" void cpat_bench_on_thread(void (*hook)(int, int)) {
    thread_hook = hook;
}

extern "C" int cpat_bench_init(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    return argc;
}

extern "C" int cpat_bench_run(void) {
    return (int)benchmark::RunSpecifiedBenchmarks();
}

extern "C" int cpat_bench_errors(void) {
    return errors.load(std::memory_order_relaxed);
}
