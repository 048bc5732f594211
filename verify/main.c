/* cpat-verify: runs the guarantee checks of ../shared/GUARANTEES.md on every
 * registered variant (or the one named), each (variant, check, threads) in a
 * forked child watched by this process:
 *   - exit 0 / 77           pass / skipped
 *   - exit 1                the check failed; its message comes back through
 *                           the shared page
 *   - any other exit/signal a crash or sanitizer report (printed above)
 *   - no progress for --stall seconds: a hang (lost wake-up), killed
 *   - still running at the time limit (--limit; by default the stall budget
 *     plus 4 x the run's expected time): a livelock, killed
 * The child runs in a process group of its own, and however the check ends
 * (exit, stall, time limit) the whole group is killed and reaped: whatever
 * the check forked (verify/copy.h) ends with it and cannot hold the test's
 * stdout open after we exit.
 * Every failure prints the check id, variant, threads, seed and the command
 * that reruns it alone.  The output ends with "N passed, N failed" (with
 * --mutants, the mutation score of each pattern before it).  --junit FILE
 * also writes every run as JUnit XML; --soak N repeats everything N rounds
 * with fresh seeds, stopping after the first round that fails.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "cpat/error.h"
#include "harness.h"

static const struct vpattern *const patterns[] = {
    &vpattern_mutex, &vpattern_rwlock,  &vpattern_once, &vpattern_waitgroup,
    &vpattern_chan,  &vpattern_context, &vpattern_pool, &vpattern_fan};
#define NPATTERNS         (sizeof patterns / sizeof patterns[0])
#define MAX_IMPLS         64
#define MAX_THREAD_COUNTS 16

struct options {
    const char *pattern, *impl, *check;
    int threads[MAX_THREAD_COUNTS];
    int nthreads;
    double seconds, stall, limit; /* limit 0: from the check (run_limit) */
    uint64_t seed;
    bool mutants, list;
    const char *emit_ctest;
    const char *junit; /* --junit FILE, or NULL */
    long soak;         /* rounds (--soak), 1 by default */
    const char *self;
};

struct tally {
    int passed, failed, skipped;
};

/* --junit: every run (every mutant with --mutants) as a JUnit testcase,
 * kept until the end and written to a temporary name, then renamed. */
struct jcase {
    char classname[96]; /* cpat-verify.<pattern>.<variant> */
    char name[64];      /* <check> threads=<n>, or the mutant's checks */
    double secs;
    int status;        /* VPASS, VFAIL, VSKIP */
    char *why, *rerun; /* malloc'd, may be NULL */
};
static struct {
    struct jcase *c;
    size_t n, cap;
} junit;

static void junit_add(const struct options *o, const char *pattern, const char *impl,
                      const char *name, double secs, int status, const char *why,
                      const char *rerun) {
    if (!o->junit)
        return;
    if (junit.n == junit.cap) {
        size_t cap = junit.cap ? 2 * junit.cap : 256;
        struct jcase *c = realloc(junit.c, cap * sizeof *c);
        if (!c)
            cpat_die("realloc(junit)", ENOMEM);
        junit.c = c;
        junit.cap = cap;
    }
    struct jcase *j = &junit.c[junit.n++];
    snprintf(j->classname, sizeof j->classname, "cpat-verify.%s.%s", pattern, impl);
    snprintf(j->name, sizeof j->name, "%s", name);
    j->secs = secs;
    j->status = status;
    j->why = why && *why ? strdup(why) : NULL;
    j->rerun = rerun && *rerun ? strdup(rerun) : NULL;
}

static void xml_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '&')
            fputs("&amp;", f);
        else if (ch == '<')
            fputs("&lt;", f);
        else if (ch == '>')
            fputs("&gt;", f);
        else if (ch == '"')
            fputs("&quot;", f);
        else if (ch < 0x20 && ch != '\n' && ch != '\t')
            fputc('?', f); /* not allowed in XML 1.0 */
        else
            fputc(ch, f);
    }
}

/* 0, or 1 after a message when the file cannot be written. */
static int junit_write(const char *path, const struct tally *t, double secs) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "cpat-verify: --junit path too long\n");
        return 1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "cpat-verify: --junit %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites>\n<testsuite name=\"cpat-verify\" tests=\"%zu\" failures=\"%d\" "
            "skipped=\"%d\" time=\"%.3f\">\n",
            junit.n, t->failed, t->skipped, secs);
    for (size_t i = 0; i < junit.n; i++) {
        const struct jcase *j = &junit.c[i];
        fputs("  <testcase classname=\"", f);
        xml_text(f, j->classname);
        fputs("\" name=\"", f);
        xml_text(f, j->name);
        fprintf(f, "\" time=\"%.3f\"", j->secs);
        if (j->status == VPASS && !j->why) {
            fputs("/>\n", f);
            continue;
        }
        fputs(">\n", f);
        if (j->status == VFAIL) {
            fputs("    <failure message=\"", f);
            xml_text(f, j->why);
            fputs("\">", f);
            xml_text(f, j->rerun);
            fputs("</failure>\n", f);
        } else if (j->status == VSKIP) {
            fputs("    <skipped message=\"", f);
            xml_text(f, j->why);
            fputs("\"/>\n", f);
        } else {
            fputs("    <system-out>", f);
            xml_text(f, j->why);
            fputs("</system-out>\n", f);
        }
        fputs("  </testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    if (ferror(f) | fclose(f) || rename(tmp, path) != 0) {
        fprintf(stderr, "cpat-verify: --junit %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return 1;
    }
    return 0;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: cpat-verify [--pattern P] [--impl NAME] [--check ID] [--threads N,N,...]\n"
            "                   [--seconds S] [--seed X] [--stall S] [--limit S] [--mutants]\n"
            "                   [--junit FILE] [--soak N] [--list] [--emit-ctest FILE]\n"
            "  --pattern P    only pattern P (default: all)\n"
            "  --impl NAME    only variant NAME (default: every registered variant)\n"
            "  --check ID     only check ID, e.g. M2 (default: all)\n"
            "  --threads L    thread counts (default: 2, cores+1, 4 x cores)\n"
            "  --seconds S    run time of each check per thread count (default 0.5)\n"
            "  --seed X       seed of the noise and of the checks (default: from the clock)\n"
            "  --stall S      seconds without progress that make a hang (default %s)\n"
            "  --limit S      seconds one check may run in all (default: the stall budget\n"
            "                 plus 4 x the check's expected time)\n"
            "  --mutants      run the deliberately broken variants: pass iff each is caught\n"
            "  --junit FILE   also write every run as JUnit XML to FILE\n"
            "  --soak N       repeat everything N rounds with fresh seeds; stop after the\n"
            "                 first round that fails\n"
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

/* Set-up of a run beyond its --seconds: threads, forks, a sanitizer's start
 * and exit, on a loaded 2-core machine (a run measures ~0.02 s of it). */
#define RUN_MARGIN_S 0.2

/* The time one run of check c is expected to take. */
static double run_expect(const struct options *o, const struct vcheck *c) {
    return vrun_seconds(c->id, o->seconds) + RUN_MARGIN_S;
}

/* The watchdog's time limit on one run: generous (a slow run is not a
 * failure), yet it ends a run that ticks forever. */
static double run_limit(const struct options *o, const struct vcheck *c) {
    return o->limit > 0 ? o->limit : o->stall + 4 * run_expect(o, c);
}

/* The expected time of all the runs of check c. */
static double check_expect(const struct options *o, const struct vcheck *c) {
    return (c->single ? 1 : o->nthreads) * run_expect(o, c);
}

/* Kills the run's process group and reaps all of it: the child first (its
 * status), then whatever it forked -- the runner is their subreaper, so
 * they are our children once the child is gone.  The group is killed again
 * before each wait, in case a member forked as the kill arrived. */
static int kill_group(pid_t pgid) {
    int st = 0;
    kill(-pgid, SIGKILL);
    while (waitpid(pgid, &st, 0) < 0)
        if (errno != EINTR)
            cpat_die("waitpid", errno);
    for (;;) {
        kill(-pgid, SIGKILL);
        if (waitpid(-pgid, NULL, 0) < 0 && errno != EINTR)
            break; /* ECHILD: nothing of the group is left */
    }
    return st;
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
    double limit = run_limit(o, c);
    pid_t parent = getpid();
    uint64_t t0 = cpat_now_ns();
    pid_t pid = fork();
    if (pid < 0)
        cpat_die("fork", errno);
    if (pid == 0) {
        /* Its own group (set here and in the parent, whichever runs first),
         * before the check can fork; and death with the runner, unless the
         * runner is gone already (the classic race of PR_SET_PDEATHSIG). */
        setpgid(0, 0);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(VFAIL);
        struct vrun r = {.pattern = p->name,
                         .impl = im->name,
                         .check = c->id,
                         .ops = im->ops,
                         .threads = threads,
                         .seconds = o->seconds,
                         .seed = seed,
                         .sh = sh,
                         .stall = o->stall};
        /* exit(), not _exit(): a sanitizer reports at exit through its status. */
        exit(c->run(&r));
    }
    if (setpgid(pid, pid) != 0 && errno != EACCES && errno != ESRCH)
        cpat_die("setpgid", errno);
    uint64_t last = 0, last_change = t0, now;
    for (;;) {
        /* WNOWAIT: an ended child stays a zombie, so its group id cannot be
         * reused before kill_group() has killed what is left of the group. */
        siginfo_t si = {.si_pid = 0};
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 && errno != EINTR)
            cpat_die("waitid", errno);
        now = cpat_now_ns();
        if (si.si_pid == pid)
            break;
        uint64_t prog = atomic_load_explicit(&sh->progress, memory_order_relaxed);
        if (prog != last) {
            last = prog;
            last_change = now;
        } else if (now - last_change > (uint64_t)(o->stall * 1e9)) {
            kill_group(pid);
            /* A check that failed and then hung (its threads stuck behind
             * the broken variant) still says why it failed. */
            snprintf(out.why, sizeof out.why,
                     "hang: no progress for %.0f s after %" PRIu64
                     " steps (a lost wake-up or a deadlock)%s%s",
                     o->stall, prog, sh->fail[0] ? "; before it: " : "", sh->fail);
            *elapsed = (now - t0) / 1e9;
            return out;
        }
        if (now - t0 > (uint64_t)(limit * 1e9)) {
            kill_group(pid);
            snprintf(out.why, sizeof out.why,
                     "time limit: still running after %.0f s, %" PRIu64
                     " steps (a livelock, or --seconds too long for --limit)%s%s",
                     limit, prog, sh->fail[0] ? "; before it: " : "", sh->fail);
            *elapsed = (now - t0) / 1e9;
            return out;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    *elapsed = (now - t0) / 1e9;
    int st = kill_group(pid);
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

/* The command that reruns one run alone.  --seed is the run's seed, from
 * which each (check, threads) derives its own as this run did. */
static void format_rerun(char *buf, size_t size, const struct options *o, const char *pattern,
                         const char *impl, const char *check, int threads) {
    snprintf(buf, size,
             "%s --pattern %s%s --impl %s --check %s --threads %d --seconds %g --seed 0x%" PRIx64,
             o->self, pattern, o->mutants ? " --mutants" : "", impl, check, threads, o->seconds,
             o->seed);
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
            char rerun[1024] = "";
            if (r.status == VFAIL) {
                failures++;
                format_rerun(rerun, sizeof rerun, o, p->name, im->name, c->id, threads);
                printf("     %s: %s; seed 0x%" PRIx64 "\n     rerun: %s\n", c->id, c->what, seed,
                       rerun);
            }
            if (!o->mutants) {
                char name[64];
                snprintf(name, sizeof name, "%s threads=%d", c->id, threads);
                junit_add(o, p->name, im->name, name, secs, r.status, r.why, rerun);
            }
            if (r.status == VFAIL && o->mutants)
                return failures; /* caught: no need to look further */
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

/* ctest's TIMEOUT, the last resort should the runner itself hang: seconds
 * instead of ctest's 600, yet never before the watchdog has reported a
 * hang.  It is twice the expected time of every run the test may make,
 * plus one run killed at its time limit (so that the watchdog's message,
 * not ctest, reports a hang).  A (variant, check) test makes one run per
 * thread count; a pattern's mutants test may run every check of every
 * mutant, though most are caught by their first check: the slack there
 * pays for a broken variant's slow runs (mutant_sleepy runs 1.3 s, not
 * 0.3) and for its hangs (--stall 3).  Measured under ctest -j2 on 2 cores:
 * 2-5x the normal time of the long tests, the floor for the short ones. */
#define CTEST_TIMEOUT_FLOOR_S 10

/* A mutant whose bug shows only by chance (brlock_no_lease's store-buffer
 * race) can pass every check in one round.  It is caught when any of up to
 * MUTANT_ROUNDS rounds, each with a fresh seed, fails a check.  Rounds only
 * add power: a correct variant is never run as a mutant, so a retry cannot
 * hide a bug, it can only find one. */
#define MUTANT_ROUNDS 3

/* The seed of the next round (--soak, a mutant's retry): splitmix64 of the
 * last. */
static uint64_t next_seed(uint64_t seed) {
    return (seed + 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull ^ (seed >> 31);
}

static int ctest_timeout(double runs, double limit) {
    double s = 2 * runs + limit;
    return s < CTEST_TIMEOUT_FLOOR_S ? CTEST_TIMEOUT_FLOOR_S : (int)s + 1;
}

static int emit_ctest(const struct options *o) {
    FILE *f = fopen(o->emit_ctest, "w");
    if (!f) {
        fprintf(stderr, "cpat-verify: cannot write %s: %s\n", o->emit_ctest, strerror(errno));
        return 2;
    }
    /* The options of the tests written below: --seconds 0.3, and --stall 3
     * for the mutants; thread counts and the default stall are this run's. */
    struct options t = *o, tm = *o;
    t.seconds = tm.seconds = 0.3;
    tm.stall = 3;
    for (size_t pi = 0; pi < NPATTERNS; pi++) {
        const struct vpattern *p = patterns[pi];
        struct vimpl im[MAX_IMPLS];
        size_t n = p->impls(im, MAX_IMPLS, false);
        for (size_t i = 0; i < n; i++)
            for (size_t ci = 0; ci < p->nchecks; ci++) {
                const struct vcheck *c = &p->checks[ci];
                fprintf(f,
                        "add_test(verify.%s.%s.%s \"%s\" --pattern %s --impl %s --check %s"
                        " --seconds %g)\n",
                        p->name, im[i].name, c->id, o->self, p->name, im[i].name, c->id, t.seconds);
                fprintf(f,
                        "set_tests_properties(verify.%s.%s.%s PROPERTIES LABELS verify"
                        " SKIP_RETURN_CODE 77 TIMEOUT %d)\n",
                        p->name, im[i].name, c->id,
                        ctest_timeout(check_expect(&t, c), run_limit(&t, c)));
            }
        double all = 0, one = 0, longest = 0;
        for (size_t ci = 0; ci < p->nchecks; ci++) {
            one += check_expect(&tm, &p->checks[ci]);
            if (run_limit(&tm, &p->checks[ci]) > longest)
                longest = run_limit(&tm, &p->checks[ci]);
        }
        n = p->impls(im, MAX_IMPLS, true);
        for (size_t i = 0; i < n; i++)
            if (!im[i].tsan_only || CPAT_TSAN)
                all += one;
        all += (MUTANT_ROUNDS - 1) * one; /* the retries of a mutant caught by chance */
        fprintf(f, "add_test(mutants.%s \"%s\" --pattern %s --mutants --seconds %g --stall %g)\n",
                p->name, o->self, p->name, tm.seconds, tm.stall);
        fprintf(f, "set_tests_properties(mutants.%s PROPERTIES LABELS mutants TIMEOUT %d)\n",
                p->name, ctest_timeout(all, longest));
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
    struct options o = {.seconds = 0.5, .stall = CPAT_TSAN ? 20 : 5, .soak = 1, .self = argv[0]};
    o.seed = cpat_now_ns() ^ ((uint64_t)getpid() << 32);
    int defaults[] = {2, (int)ncpu + 1, 4 * (int)ncpu};
    for (int i = 0; i < 3; i++) /* distinct, ascending */
        if (o.nthreads == 0 || defaults[i] > o.threads[o.nthreads - 1])
            o.threads[o.nthreads++] = defaults[i];

    static const struct option longopts[] = {{"pattern", required_argument, 0, 'p'},
                                             {"impl", required_argument, 0, 'i'},
                                             {"check", required_argument, 0, 'c'},
                                             {"threads", required_argument, 0, 't'},
                                             {"seconds", required_argument, 0, 's'},
                                             {"seed", required_argument, 0, 'S'},
                                             {"stall", required_argument, 0, 'w'},
                                             {"mutants", no_argument, 0, 'm'},
                                             {"list", no_argument, 0, 'l'},
                                             {"emit-ctest", required_argument, 0, 'e'},
                                             {"help", no_argument, 0, 'h'},
                                             {"limit", required_argument, 0, 'L'},
                                             {"junit", required_argument, 0, 'j'},
                                             {"soak", required_argument, 0, 'k'},
                                             {0, 0, 0, 0}};
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
        case 'w':
        case 'L': {
            double v = strtod(optarg, &end);
            if (*end || !(v > 0 && v <= 3600)) {
                fprintf(stderr, "cpat-verify: --%s wants seconds in (0, 3600]\n",
                        ch == 's'   ? "seconds"
                        : ch == 'w' ? "stall"
                                    : "limit");
                return 2;
            }
            *(ch == 's' ? &o.seconds : ch == 'w' ? &o.stall : &o.limit) = v;
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
        case 'j':
            if (!*optarg) {
                fprintf(stderr, "cpat-verify: --junit wants a file name\n");
                return 2;
            }
            o.junit = optarg;
            break;
        case 'k':
            o.soak = strtol(optarg, &end, 10);
            if (*end || o.soak < 1 || o.soak > 1000000) {
                fprintf(stderr, "cpat-verify: --soak wants a number of rounds in 1..1000000\n");
                return 2;
            }
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

    /* What a check forks becomes ours when the check's child dies, so that
     * kill_group() can reap it: nothing outlives its check. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        cpat_die("prctl(PR_SET_CHILD_SUBREAPER)", errno);
    struct vshared *sh =
        mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        cpat_die("mmap", errno);
    printf("cpat-verify: seed 0x%" PRIx64 ", %g s per check, threads", o.seed, o.seconds);
    for (int i = 0; i < o.nthreads; i++)
        printf("%s%d", i ? "," : " ", o.threads[i]);
    printf("%s\n", CPAT_TSAN ? " (ThreadSanitizer build)" : "");

    /* "selftest", the runner's own checks, is run only when named. */
    static const struct vpattern *const selftest[] = {&vpattern_selftest};
    bool self = o.pattern && strcmp(o.pattern, "selftest") == 0;
    const struct vpattern *const *run = self ? selftest : patterns;
    size_t nrun = self ? 1 : NPATTERNS;
    bool matched_pattern = false, matched_impl = false;
    for (size_t pi = 0; pi < nrun; pi++) {
        const struct vpattern *p = run[pi];
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
        for (size_t i = 0; i < n; i++)
            matched_impl |= !o.impl || strcmp(o.impl, im[i].name) == 0;
    }
    if (!matched_pattern || !matched_impl) {
        fprintf(stderr, "cpat-verify: no %s named %s (see --list)\n",
                matched_pattern ? "variant" : "pattern", matched_pattern ? o.impl : o.pattern);
        return 2;
    }

    struct tally t = {0, 0, 0};
    uint64_t t0 = cpat_now_ns();
    char score[1024] = ""; /* --mutants: "mutex 5/5, ..." of the last round */
    for (long round = 1; round <= o.soak; round++) {
        if (o.soak > 1) {
            if (round > 1)
                o.seed = next_seed(o.seed);
            printf("cpat-verify: round %ld of %ld, seed 0x%" PRIx64 "\n", round, o.soak, o.seed);
        }
        int failed_before = t.failed;
        size_t len = 0;
        score[0] = 0;
        for (size_t pi = 0; pi < nrun; pi++) {
            const struct vpattern *p = run[pi];
            if (o.pattern && strcmp(o.pattern, p->name) != 0)
                continue;
            struct vimpl im[MAX_IMPLS];
            size_t n = p->impls(im, MAX_IMPLS, o.mutants);
            int caught = 0, mutants = 0;
            for (size_t i = 0; i < n; i++) {
                if (o.impl && strcmp(o.impl, im[i].name) != 0)
                    continue;
                if (!o.mutants) {
                    verify_impl(&o, p, &im[i], sh, &t);
                    continue;
                }
                /* A mutant passes (is caught) when at least one check fails. */
                uint64_t m0 = cpat_now_ns();
                if (im[i].tsan_only && !CPAT_TSAN) {
                    printf("skip mutant %s/%s: only ThreadSanitizer can catch it\n", p->name,
                           im[i].name);
                    t.skipped++;
                    junit_add(&o, p->name, im[i].name, "mutant", 0, VSKIP,
                              "only ThreadSanitizer can catch it", NULL);
                    continue;
                }
                mutants++;
                struct options om = o;
                bool got = false;
                for (int k = 0; k < MUTANT_ROUNDS && !got; k++) {
                    if (k) {
                        om.seed = next_seed(om.seed);
                        printf("mutant %s/%s passed every check: round %d of %d, seed 0x%" PRIx64
                               "\n",
                               p->name, im[i].name, k + 1, MUTANT_ROUNDS, om.seed);
                    }
                    got = verify_impl(&om, p, &im[i], sh, &t) > 0;
                }
                double secs = (double)(cpat_now_ns() - m0) / 1e9;
                if (got) {
                    printf("CAUGHT mutant %s/%s\n", p->name, im[i].name);
                    t.passed++;
                    caught++;
                    junit_add(&o, p->name, im[i].name, "mutant", secs, VPASS, "caught", NULL);
                } else {
                    printf("MISSED mutant %s/%s: every check passed in %d rounds (V1 fails)\n",
                           p->name, im[i].name, MUTANT_ROUNDS);
                    t.failed++;
                    junit_add(&o, p->name, im[i].name, "mutant", secs, VFAIL,
                              "every check passed: the mutant was not caught (V1)", NULL);
                }
            }
            if (o.mutants && mutants && len < sizeof score)
                len += (size_t)snprintf(score + len, sizeof score - len, "%s%s %d/%d",
                                        len ? ", " : "", p->name, caught, mutants);
        }
        if (t.failed > failed_before) {
            if (o.soak > 1)
                printf("cpat-verify: round %ld of %ld failed: stopping (rerun commands above)\n",
                       round, o.soak);
            break;
        }
    }
    if (o.junit && junit_write(o.junit, &t, (double)(cpat_now_ns() - t0) / 1e9))
        return 2;
    if (score[0])
        printf("mutation score: %s\n", score);
    printf("%d passed, %d failed", t.passed, t.failed);
    if (t.skipped)
        printf(", %d skipped", t.skipped);
    printf("\n");
    if (t.failed)
        return 1;
    return t.passed == 0 && t.skipped > 0 ? VSKIP : 0;
}
