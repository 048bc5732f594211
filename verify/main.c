/* cpat-verify: runs the guarantee checks of ../shared/GUARANTEES.md on every
 * registered variant (or the one named), each (variant, check, threads) in a
 * forked child watched by this process:
 *   - exit 0 / 77           pass / skipped
 *   - exit 1                the check failed; its message comes back through
 *                           the shared page
 *   - any other exit/signal a crash or sanitizer report (printed above)
 *   - no progress for --stall seconds: a hang (lost wake-up), killed
 * Every failure prints the check id, variant, threads, seed and the command
 * that reruns it alone.  The output ends with "N passed, N failed".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "cpat/error.h"
#include "harness.h"

static const struct vpattern *const patterns[] = {&vpattern_mutex, &vpattern_rwlock, &vpattern_once,
                                                  &vpattern_waitgroup};
#define NPATTERNS         (sizeof patterns / sizeof patterns[0])
#define MAX_IMPLS         64
#define MAX_THREAD_COUNTS 16

struct options {
    const char *pattern, *impl, *check;
    int threads[MAX_THREAD_COUNTS];
    int nthreads;
    double seconds, stall;
    uint64_t seed;
    bool mutants, list;
    const char *emit_ctest;
    const char *self;
};

struct tally {
    int passed, failed, skipped;
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: cpat-verify [--pattern P] [--impl NAME] [--check ID] [--threads N,N,...]\n"
            "                   [--seconds S] [--seed X] [--stall S] [--mutants] [--list]\n"
            "                   [--emit-ctest FILE]\n"
            "  --pattern P    only pattern P (default: all)\n"
            "  --impl NAME    only variant NAME (default: every registered variant)\n"
            "  --check ID     only check ID, e.g. M2 (default: all)\n"
            "  --threads L    thread counts (default: 2, cores+1, 4 x cores)\n"
            "  --seconds S    run time of each check per thread count (default 0.5)\n"
            "  --seed X       seed of the noise and of the checks (default: from the clock)\n"
            "  --stall S      seconds without progress that make a hang (default %s)\n"
            "  --mutants      run the deliberately broken variants: pass iff each is caught\n"
            "  --list         list patterns, variants and checks\n"
            "  --emit-ctest F write one ctest add_test() per (variant, check) to F\n",
            CPAT_TSAN ? "20" : "5");
}

static int parse_threads(const char *s, int *out) {
    int n = 0;
    for (char *end; *s && n < MAX_THREAD_COUNTS; s = end + (*end == ',')) {
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 4096 || (*end && *end != ','))
            return -1;
        out[n++] = (int)v;
    }
    return n;
}

/* What one child reports. */
struct outcome {
    int status; /* VPASS, VFAIL, VSKIP */
    char why[700];
};

static struct outcome run_child(const struct options *o, const struct vpattern *p,
                                const struct vimpl *im, const struct vcheck *c, int threads,
                                uint64_t seed, struct vshared *sh, double *elapsed) {
    struct outcome out = {VFAIL, ""};
    memset(sh, 0, sizeof *sh);
    fflush(NULL); /* the child must not flush our buffers a second time */
    uint64_t t0 = cpat_now_ns();
    pid_t pid = fork();
    if (pid < 0)
        cpat_die("fork", errno);
    if (pid == 0) {
        struct vrun r = {p->name, im->name, c->id, im->ops, threads, o->seconds, seed, sh};
        /* exit(), not _exit(): a sanitizer reports at exit through its status. */
        exit(c->run(&r));
    }
    uint64_t last = 0, last_change = t0;
    int st;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            cpat_die("waitpid", errno);
        uint64_t now = cpat_now_ns();
        uint64_t prog = atomic_load_explicit(&sh->progress, memory_order_relaxed);
        if (prog != last) {
            last = prog;
            last_change = now;
        } else if (now - last_change > (uint64_t)(o->stall * 1e9)) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            /* A check that failed and then hung (its threads stuck behind
             * the broken variant) still says why it failed. */
            snprintf(out.why, sizeof out.why,
                     "hang: no progress for %.0f s after %" PRIu64
                     " steps (a lost wake-up or a deadlock)%s%s",
                     o->stall, prog, sh->fail[0] ? "; before it: " : "", sh->fail);
            *elapsed = (now - t0) / 1e9;
            return out;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    *elapsed = (cpat_now_ns() - t0) / 1e9;
    if (WIFEXITED(st) && (WEXITSTATUS(st) == VPASS || WEXITSTATUS(st) == VSKIP)) {
        out.status = WEXITSTATUS(st);
        snprintf(out.why, sizeof out.why, "%s", sh->note);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == VFAIL) {
        snprintf(out.why, sizeof out.why, "%s", sh->fail);
    } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && c->abort_is_pass) {
        out.status = VPASS;
        snprintf(out.why, sizeof out.why, "aborted with a message");
    } else if (WIFEXITED(st)) {
        snprintf(out.why, sizeof out.why, "exit status %d (a sanitizer report? see above)%s%s",
                 WEXITSTATUS(st), sh->fail[0] ? ": " : "", sh->fail);
    } else {
        snprintf(out.why, sizeof out.why, "killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    }
    return out;
}

static void print_rerun(const struct options *o, const char *pattern, const char *impl,
                        const char *check, int threads, uint64_t seed) {
    printf("     rerun: %s --pattern %s%s --impl %s --check %s --threads %d --seconds %g"
           " --seed 0x%" PRIx64 "\n",
           o->self, pattern, o->mutants ? " --mutants" : "", impl, check, threads, o->seconds,
           seed);
}

/* Runs the checks on one implementation; returns how many failed. */
static int verify_impl(const struct options *o, const struct vpattern *p, const struct vimpl *im,
                       struct vshared *sh, struct tally *t) {
    int failures = 0;
    for (size_t ci = 0; ci < p->nchecks; ci++) {
        const struct vcheck *c = &p->checks[ci];
        if (o->check && strcmp(o->check, c->id) != 0)
            continue;
        int nth = c->single ? 1 : o->nthreads;
        for (int ti = 0; ti < nth; ti++) {
            int threads = c->single ? 1 : o->threads[ti];
            /* One seed per (check, threads), derived from the run's seed. */
            uint64_t seed = o->seed ^ (0x9e3779b97f4a7c15ull * (ci * 131 + (uint64_t)threads));
            double secs;
            struct outcome r = run_child(o, p, im, c, threads, seed, sh, &secs);
            const char *tag = r.status == VPASS ? "ok  " : r.status == VSKIP ? "skip" : "FAIL";
            printf("%s %-3s %s/%s threads=%d %.2fs%s%s\n", tag, c->id, p->name, im->name, threads,
                   secs, r.why[0] ? "  " : "", r.why);
            if (r.status == VFAIL) {
                failures++;
                printf("     %s: %s; seed 0x%" PRIx64 "\n", c->id, c->what, seed);
                print_rerun(o, p->name, im->name, c->id, threads, seed);
                if (o->mutants)
                    return failures; /* caught: no need to look further */
            }
            if (!o->mutants) {
                t->passed += r.status == VPASS;
                t->failed += r.status == VFAIL;
                t->skipped += r.status == VSKIP;
            }
            fflush(stdout);
        }
    }
    return failures;
}

static int emit_ctest(const struct options *o) {
    FILE *f = fopen(o->emit_ctest, "w");
    if (!f) {
        fprintf(stderr, "cpat-verify: cannot write %s: %s\n", o->emit_ctest, strerror(errno));
        return 2;
    }
    for (size_t pi = 0; pi < NPATTERNS; pi++) {
        const struct vpattern *p = patterns[pi];
        struct vimpl im[MAX_IMPLS];
        size_t n = p->impls(im, MAX_IMPLS, false);
        for (size_t i = 0; i < n; i++)
            for (size_t ci = 0; ci < p->nchecks; ci++) {
                fprintf(f,
                        "add_test(verify.%s.%s.%s \"%s\" --pattern %s --impl %s --check %s"
                        " --seconds 0.3)\n",
                        p->name, im[i].name, p->checks[ci].id, o->self, p->name, im[i].name,
                        p->checks[ci].id);
                fprintf(f,
                        "set_tests_properties(verify.%s.%s.%s PROPERTIES LABELS verify"
                        " SKIP_RETURN_CODE 77 TIMEOUT 600)\n",
                        p->name, im[i].name, p->checks[ci].id);
            }
        fprintf(f, "add_test(mutants.%s \"%s\" --pattern %s --mutants --seconds 0.3 --stall 3)\n",
                p->name, o->self, p->name);
        fprintf(f, "set_tests_properties(mutants.%s PROPERTIES LABELS mutants TIMEOUT 600)\n",
                p->name);
    }
    return fclose(f) == 0 ? 0 : 2;
}

static void list(void) {
    for (size_t pi = 0; pi < NPATTERNS; pi++) {
        const struct vpattern *p = patterns[pi];
        struct vimpl im[MAX_IMPLS];
        printf("%s\n  variants:", p->name);
        size_t n = p->impls(im, MAX_IMPLS, false);
        for (size_t i = 0; i < n; i++)
            printf(" %s", im[i].name);
        printf("\n  mutants:");
        n = p->impls(im, MAX_IMPLS, true);
        for (size_t i = 0; i < n; i++)
            printf(" %s", im[i].name);
        printf("\n");
        for (size_t ci = 0; ci < p->nchecks; ci++)
            printf("  %-3s %s\n", p->checks[ci].id, p->checks[ci].what);
    }
}

int main(int argc, char **argv) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct options o = {.seconds = 0.5, .stall = CPAT_TSAN ? 20 : 5, .self = argv[0]};
    o.seed = cpat_now_ns() ^ ((uint64_t)getpid() << 32);
    int defaults[] = {2, (int)ncpu + 1, 4 * (int)ncpu};
    for (int i = 0; i < 3; i++) /* distinct, ascending */
        if (o.nthreads == 0 || defaults[i] > o.threads[o.nthreads - 1])
            o.threads[o.nthreads++] = defaults[i];

    static const struct option longopts[] = {
        {"pattern", required_argument, 0, 'p'}, {"impl", required_argument, 0, 'i'},
        {"check", required_argument, 0, 'c'},   {"threads", required_argument, 0, 't'},
        {"seconds", required_argument, 0, 's'}, {"seed", required_argument, 0, 'S'},
        {"stall", required_argument, 0, 'w'},   {"mutants", no_argument, 0, 'm'},
        {"list", no_argument, 0, 'l'},          {"emit-ctest", required_argument, 0, 'e'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    for (int ch; (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        char *end;
        switch (ch) {
        case 'p':
            o.pattern = optarg;
            break;
        case 'i':
            o.impl = optarg;
            break;
        case 'c':
            o.check = optarg;
            break;
        case 't':
            if ((o.nthreads = parse_threads(optarg, o.threads)) <= 0) {
                fprintf(stderr, "cpat-verify: --threads wants counts 1..4096 like 2,3,8\n");
                return 2;
            }
            break;
        case 's':
        case 'w': {
            double v = strtod(optarg, &end);
            if (*end || !(v > 0 && v <= 3600)) {
                fprintf(stderr, "cpat-verify: --%s wants seconds in (0, 3600]\n",
                        ch == 's' ? "seconds" : "stall");
                return 2;
            }
            *(ch == 's' ? &o.seconds : &o.stall) = v;
            break;
        }
        case 'S':
            o.seed = strtoull(optarg, &end, 0);
            if (*end) {
                fprintf(stderr, "cpat-verify: --seed wants a number\n");
                return 2;
            }
            break;
        case 'm':
            o.mutants = true;
            break;
        case 'l':
            o.list = true;
            break;
        case 'e':
            o.emit_ctest = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cpat-verify: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (o.list) {
        list();
        return 0;
    }
    if (o.emit_ctest)
        return emit_ctest(&o);

    struct vshared *sh =
        mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        cpat_die("mmap", errno);
    printf("cpat-verify: seed 0x%" PRIx64 ", %g s per check, threads", o.seed, o.seconds);
    for (int i = 0; i < o.nthreads; i++)
        printf("%s%d", i ? "," : " ", o.threads[i]);
    printf("%s\n", CPAT_TSAN ? " (ThreadSanitizer build)" : "");

    struct tally t = {0, 0, 0};
    bool matched_pattern = false, matched_impl = false;
    for (size_t pi = 0; pi < NPATTERNS; pi++) {
        const struct vpattern *p = patterns[pi];
        if (o.pattern && strcmp(o.pattern, p->name) != 0)
            continue;
        matched_pattern = true;
        bool matched_check = !o.check;
        for (size_t ci = 0; ci < p->nchecks; ci++)
            matched_check |= o.check && strcmp(o.check, p->checks[ci].id) == 0;
        if (!matched_check) {
            fprintf(stderr, "cpat-verify: pattern %s has no check %s (see --list)\n", p->name,
                    o.check);
            return 2;
        }
        struct vimpl im[MAX_IMPLS];
        size_t n = p->impls(im, MAX_IMPLS, o.mutants);
        for (size_t i = 0; i < n; i++) {
            if (o.impl && strcmp(o.impl, im[i].name) != 0)
                continue;
            matched_impl = true;
            if (!o.mutants) {
                verify_impl(&o, p, &im[i], sh, &t);
                continue;
            }
            /* A mutant passes (is caught) when at least one check fails. */
            if (im[i].tsan_only && !CPAT_TSAN) {
                printf("skip mutant %s/%s: only ThreadSanitizer can catch it\n", p->name,
                       im[i].name);
                t.skipped++;
            } else if (verify_impl(&o, p, &im[i], sh, &t) > 0) {
                printf("CAUGHT mutant %s/%s\n", p->name, im[i].name);
                t.passed++;
            } else {
                printf("MISSED mutant %s/%s: every check passed (V1 fails)\n", p->name, im[i].name);
                t.failed++;
            }
        }
    }
    if (!matched_pattern || !matched_impl) {
        fprintf(stderr, "cpat-verify: no %s named %s (see --list)\n",
                matched_pattern ? "variant" : "pattern", matched_pattern ? o.impl : o.pattern);
        return 2;
    }
    printf("%d passed, %d failed", t.passed, t.failed);
    if (t.skipped)
        printf(", %d skipped", t.skipped);
    printf("\n");
    if (t.failed)
        return 1;
    return t.passed == 0 && t.skipped > 0 ? VSKIP : 0;
}
