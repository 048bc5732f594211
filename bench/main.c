/* cpat-bench: the workloads of ../shared/WORKLOADS.md on threads pinned by
 * hwloc, through Google Benchmark.  Every Google Benchmark flag works
 * (--benchmark_filter, --benchmark_repetitions, --benchmark_out, ...); ours:
 *   --pin compact|spread|none   thread placement (default compact)
 *   --threads N,N,...           thread counts of the scaling workloads
 *                               (default 1..2xPUs)
 *   --run-cap S                 longest one timed run may last (default 2 s;
 *                               see run.h)
 * The JSON context records the machine, the build and each thread's PU. */
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench.h"
#include "cpat/registry.h"
#include "pin.h"
#include "run.h"

static void pin_hook(int index, int nthreads) {
    (void)nthreads;
    pin_self(index);
}

static void usage(FILE *f) {
    fprintf(f, "usage: cpat-bench [--pin compact|spread|none] [--threads N,N,...] [--run-cap S]\n"
               "                  [Google Benchmark flags, see --help]\n");
}

static int parse_threads(const char *s, int *out, int max) {
    int n = 0;
    for (char *end; *s; s = end + (*end == ',')) {
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > RUN_MAX_THREADS || (*end && *end != ',') || n == max)
            return -1;
        out[n++] = (int)v;
    }
    return n;
}

/* Appends "name=kind" to the list in buf (len chars so far) unless name is
 * in it already: pthread, futex, null, ... name variants of several
 * patterns, and one name has one kind.  Returns the new length. */
static size_t add_kind(char *buf, size_t size, size_t len, const char *name, const char *kind) {
    size_t nlen = strlen(name);
    for (const char *p = buf; len && (p = strstr(p, name)); p += nlen)
        if ((p == buf || p[-1] == ' ') && p[nlen] == '=')
            return len;
    int w = snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "", name, kind);
    return w < 0 || (size_t)w >= size - len ? len : len + (size_t)w;
}

static void context(void) {
    char topo[128], model[128], buf[4096];
    pin_describe(topo, sizeof topo, model, sizeof model);
    cpat_bench_context("cpat_topology", topo);
    cpat_bench_context("cpat_cpu_model", model);
    struct utsname u;
    uname(&u);
    snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
    cpat_bench_context("cpat_kernel", buf);
    snprintf(buf, sizeof buf, "glibc %s", gnu_get_libc_version());
    cpat_bench_context("cpat_libc", buf);
    cpat_bench_context("cpat_compiler", CPAT_COMPILER);
    cpat_bench_context("cpat_cflags", CPAT_CFLAGS);
    cpat_bench_context("cpat_pin_policy", pin_policy_name());
    /* Thread i's PU, for as many threads as the largest run has. */
    size_t len = 0;
    int n = 4 * pin_npus();
    for (int i = 0; i < n && len < sizeof buf - 16; i++)
        len +=
            (size_t)snprintf(buf + len, sizeof buf - len, "%s%d:%d", i ? " " : "", i, pin_pu_of(i));
    cpat_bench_context("cpat_thread_pus", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)work_iters_100ns);
    cpat_bench_context("cpat_work_iters_100ns", buf);
    len = 0;
#define LIST_KINDS(registry)                                                                       \
    for (size_t k = 0; registry[k]; k++)                                                           \
        len = add_kind(buf, sizeof buf, len, registry[k]->name, registry[k]->kind);
    LIST_KINDS(cpat_mutex_registry)
    LIST_KINDS(cpat_rwlock_registry)
    LIST_KINDS(cpat_once_registry)
    LIST_KINDS(cpat_waitgroup_registry)
    LIST_KINDS(cpat_chan_registry)
    LIST_KINDS(cpat_context_registry)
    LIST_KINDS(cpat_pool_registry)
    LIST_KINDS(cpat_fan_registry)
    cpat_bench_context("cpat_impl_kinds", buf);
    /* The locks whose waiters sleep (flag PARKS), as pattern/impl: the
     * report shows the best of them beside the best overall. */
    len = 0;
#define LIST_PARKS(pattern, registry, flag)                                                        \
    for (size_t k = 0; registry[k]; k++)                                                           \
        if ((registry[k]->flags & (flag)) && len < sizeof buf)                                     \
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s/%s", len ? " " : "",        \
                                    pattern, registry[k]->name);
    LIST_PARKS("mutex", cpat_mutex_registry, CPAT_MUTEX_PARKS)
    LIST_PARKS("rwlock", cpat_rwlock_registry, CPAT_RWLOCK_PARKS)
    cpat_bench_context("cpat_parks", buf);
}

int main(int argc, char **argv) {
    argc = cpat_bench_init(argc, argv);
    const char *policy = "compact", *threads = NULL, *cap = NULL;
    struct {
        const char *flag;
        const char **value;
    } flags[] = {{"--pin", &policy}, {"--threads", &threads}, {"--run-cap", &cap}};
    for (int i = 1; i < argc; i++) {
        size_t f = 0, len = 0;
        for (; f < sizeof flags / sizeof flags[0]; f++) {
            len = strlen(flags[f].flag);
            if (strncmp(argv[i], flags[f].flag, len) == 0 &&
                (argv[i][len] == '=' || (argv[i][len] == 0 && i + 1 < argc)))
                break;
        }
        if (f == sizeof flags / sizeof flags[0]) {
            fprintf(stderr, "cpat-bench: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
        *flags[f].value = argv[i][len] == '=' ? argv[i] + len + 1 : argv[++i];
    }
    if (cap) {
        char *end;
        double s = strtod(cap, &end);
        if (*end || !(s > 0 && s <= 3600)) {
            fprintf(stderr, "cpat-bench: --run-cap wants seconds in (0, 3600], not '%s'\n", cap);
            return 2;
        }
        run_cap_ns = (uint64_t)(s * 1e9);
    }
    if (pin_init(policy)) {
        fprintf(stderr, "cpat-bench: --pin wants compact, spread or none, not '%s'\n", policy);
        return 2;
    }
    int npus = pin_npus();
    struct thread_sets ts = {.over = {4 * npus}};
    if (threads) {
        ts.nscaling = parse_threads(threads, ts.scaling, 64);
        if (ts.nscaling <= 0) {
            fprintf(stderr, "cpat-bench: --threads wants counts 1..%d like 1,2,4\n",
                    RUN_MAX_THREADS);
            return 2;
        }
    } else {
        for (int t = 1; t <= 2 * npus && ts.nscaling < 64; t++)
            ts.scaling[ts.nscaling++] = t;
    }
    for (int i = 0; i < ts.nscaling; i++)
        if (ts.scaling[i] >= 2)
            ts.pairs[ts.npairs++] = ts.scaling[i];

    work_calibrate();
    context();
    cpat_bench_on_thread(pin_hook);
    register_limits(&ts);
    register_mutex(&ts);
    register_rwlock(&ts);
    register_once(&ts);
    register_waitgroup(&ts);
    register_chan(&ts);
    register_context(&ts);
    register_pool(&ts);
    if (cpat_bench_run() == 0) {
        fprintf(stderr,
                "cpat-bench: no benchmark matched the filter (see --benchmark_list_tests)\n");
        return 2; /* bad input, like an unknown argument */
    }
    if (cpat_bench_errors()) { /* a benchmark's own check failed: say so in the exit status */
        fprintf(stderr, "cpat-bench: %d runs reported an error (see above)\n", cpat_bench_errors());
        return 1;
    }
    return 0;
}
