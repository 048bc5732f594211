/* The seed's worker pool -- jobs channel -> workers -> results channel,
 * closed after the last worker -- with the cpat pool, line for line.  The
 * Go it translates (the seed's workerPool as impl/include/cpat/pool.h
 * quotes it, with a job that can fail and a second run cancelled midway):
 *
 *   type Job struct{ ID, Data, Slices int }
 *   type Result struct {
 *       JobID, Output int
 *       Err           error
 *   }
 *   var errSeven = errors.New("multiple of 7")
 *   func process(ctx context.Context, job Job) (int, error) {
 *       for i := 0; i < job.Slices; i++ { // 100 us of work at a time, watching ctx
 *           if err := ctx.Err(); err != nil { return 0, err }
 *           time.Sleep(100 * time.Microsecond)
 *       }
 *       if job.Data%7 == 0 { return 0, errSeven }
 *       return job.Data * job.Data, nil
 *   }
 *   func worker(ctx context.Context, jobs <-chan Job, results chan<- Result, wg *sync.WaitGroup) {
 *       defer wg.Done()
 *       for {
 *           select {
 *           case <-ctx.Done():
 *               return
 *           case job, ok := <-jobs:
 *               if !ok { return }
 *               out, err := process(ctx, job)
 *               results <- Result{JobID: job.ID, Output: out, Err: err}
 *           }
 *       }
 *   }
 *   func workerPool(ctx context.Context, numWorkers int, input []Job) []Result {
 *       jobs := make(chan Job, 100)
 *       results := make(chan Result, 100)
 *       var wg sync.WaitGroup
 *       for w := 0; w < numWorkers; w++ {
 *           wg.Add(1)
 *           go worker(ctx, jobs, results, &wg)
 *       }
 *       go func() { wg.Wait(); close(results) }()
 *       go func() {
 *           defer close(jobs)
 *           for _, j := range input {
 *               select {
 *               case jobs <- j:
 *               case <-ctx.Done():
 *                   return
 *               }
 *           }
 *       }()
 *       var out []Result
 *       for r := range results { out = append(out, r) }
 *       return out
 *   }
 *   func main() {
 *       // Run 1: 100 instant jobs; those of a multiple of 7 fail.
 *       results := workerPool(context.Background(), 4, makeJobs(100, 0))
 *       // Run 2: 1000 jobs of 1 ms on 4 workers (250 ms), cancelled after 5 ms.
 *       ctx, cancel := context.WithCancel(context.Background())
 *       go func() { time.Sleep(5 * time.Millisecond); cancel() }()
 *       results = workerPool(ctx, 4, makeJobs(1000, 10))
 *   }
 *
 * The pool is the library's (cpat/pool.h): start() is the workers' loop
 * and the closer goroutine, submit() is the ctx-aware `jobs <- j` (it
 * returns the context's Err instead of sending), close() is close(jobs),
 * result() is `range results` (EPIPE once closed and drained), and wait()
 * joins the workers and frees the pool.  The pool carries pointers: a Job
 * and its Result are one struct job, which the pool hands back with its
 * fate and err (Result.Err).  One difference from the Go: a job queued
 * when the context ends is not dropped but comes out with fate
 * CPAT_JOB_CANCELLED, so each job the pool took comes out exactly once.
 * process's error is an errno code (EDOM), and a job that saw the cancel
 * returns the context's Err.
 *
 * It runs with the pools named as arguments, or with every pool of the
 * registry.  It exits 0 only when every count is right. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpat/context.h"
#include "cpat/error.h"
#include "cpat/pool.h"
#include "cpat/registry.h"

struct job {
    struct cpat_pool_job head; /* fate, err: Result.Err (first: a job pointer is a job) */
    int id, data, slices;      /* Job */
    long output;               /* Result.Output */
};

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, us % 1000000 * 1000};
    while (nanosleep(&ts, &ts)) /* EINTR: sleep the rest */
        ;
}

#define ERR_SEVEN EDOM /* errSeven */

static int process(cpat_ctx *ctx, struct cpat_pool_job *head, void *arg) {
    (void)arg;
    struct job *job = (struct job *)head;
    for (int i = 0; i < job->slices; i++) { /* 100 us of work at a time, watching ctx */
        int err = cpat_ctx_err(ctx);
        if (err)
            return err;
        sleep_us(100);
    }
    if (job->data % 7 == 0)
        return ERR_SEVEN;
    job->output = (long)job->data * job->data;
    return 0;
}

/* go func() { defer close(jobs); for _, j := range input { ... } }() */
struct feeder {
    const struct cpat_pool_ops *ops;
    struct cpat_pool *p;
    struct job *input;
    size_t n, submitted; /* submitted: how many the pool took */
};

static void *feed(void *arg) {
    struct feeder *f = arg;
    for (f->submitted = 0; f->submitted < f->n; f->submitted++)
        if (f->ops->submit(f->p, &f->input[f->submitted].head)) /* case <-ctx.Done(): return */
            break;
    f->ops->close(f->p); /* defer close(jobs) */
    return NULL;
}

/* Fills out[] with the results in the order they came; returns their
 * number and, in *submitted, how many jobs the pool took. */
static size_t worker_pool(const struct cpat_pool_ops *ops, cpat_ctx *ctx, int num_workers,
                          struct job *input, size_t n, struct job **out, size_t *submitted) {
    struct cpat_pool *p;
    struct cpat_pool_config cfg = {.workers = num_workers, .fn = process, .queue = 100, .ctx = ctx};
    if (ops->start(&p, &cfg))
        abort();
    struct feeder f = {ops, p, input, n, 0};
    pthread_t feeder;
    if (pthread_create(&feeder, NULL, feed, &f))
        abort();
    size_t got = 0;
    struct cpat_pool_job *r;
    while (ops->result(p, &r) == 0) /* for r := range results */
        out[got++] = (struct job *)r;
    pthread_join(feeder, NULL);
    ops->wait(p);
    *submitted = f.submitted;
    return got;
}

static struct job *make_jobs(size_t n, int slices) {
    struct job *jobs = calloc(n, sizeof *jobs);
    if (!jobs)
        abort();
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct job){.id = (int)i, .data = (int)i + 1, .slices = slices};
    return jobs;
}

/* Each result is a job of the input, taken by the pool, seen once. */
static int each_once(struct job *input, size_t submitted, struct job **out, size_t got) {
    char *seen = calloc(submitted + 1, 1);
    int ok = seen && got == submitted;
    for (size_t i = 0; ok && i < got; i++) {
        size_t k = ((uintptr_t)out[i] - (uintptr_t)input) / sizeof *input;
        ok = (uintptr_t)out[i] >= (uintptr_t)input && k < submitted && &input[k] == out[i] &&
             !seen[k];
        if (ok)
            seen[k] = 1;
    }
    free(seen);
    return ok;
}

/* Run 1: 100 instant jobs through 4 workers; a multiple of 7 fails. */
static int run_all(const struct cpat_pool_ops *ops) {
    enum { N = 100 };
    struct job *input = make_jobs(N, 0), *out[N];
    size_t submitted,
        got = worker_pool(ops, cpat_ctx_background(ops->family), 4, input, N, out, &submitted);
    long sum = 0, want = 0;
    int failed = 0, ok = each_once(input, submitted, out, got) && submitted == N;
    for (size_t i = 0; i < got; i++) {
        struct job *r = out[i];
        ok &= r->head.fate == CPAT_JOB_DONE;
        if (r->head.err) {
            failed++;
            ok &= r->head.err == ERR_SEVEN && r->data % 7 == 0;
            if (failed == 1)
                printf("%-8s run 1: job %d (data %d) failed: %s\n", ops->name, r->id, r->data,
                       cpat_strerror(r->head.err));
        } else {
            sum += r->output;
            ok &= r->data % 7 != 0;
        }
    }
    for (int d = 1; d <= N; d++)
        want += d % 7 ? (long)d * d : 0;
    printf("%-8s run 1: %zu results, %zu ok (sum of squares %ld), %d failed\n", ops->name, got,
           got - (size_t)failed, sum, failed);
    ok &= failed == N / 7 && sum == want;
    free(input);
    return ok;
}

/* go func() { time.Sleep(5 * time.Millisecond); cancel() }() */
static void *cancel_later(void *ctx) {
    sleep_us(5000);
    cpat_ctx_cancel(ctx);
    return NULL;
}

/* Run 2: 1000 jobs of 1 ms through 4 workers (250 ms), cancelled after
 * 5 ms: every job the pool took comes out once, done, failed, stopped by
 * the cancel while it ran, or cancelled before a worker took it. */
static int run_cancelled(const struct cpat_pool_ops *ops) {
    enum { N = 1000 };
    struct job *input = make_jobs(N, 10), **out = calloc(N, sizeof *out);
    cpat_ctx *ctx;
    pthread_t canceller;
    if (!out || cpat_ctx_with_cancel(cpat_ctx_background(ops->family), &ctx) ||
        pthread_create(&canceller, NULL, cancel_later, ctx))
        abort();
    size_t submitted, got = worker_pool(ops, ctx, 4, input, N, out, &submitted);
    pthread_join(canceller, NULL);
    int ok = each_once(input, submitted, out, got);
    size_t done = 0, failed = 0, stopped = 0, cancelled = 0;
    for (size_t i = 0; i < got; i++) {
        struct job *r = out[i];
        if (r->head.fate == CPAT_JOB_CANCELLED) {
            cancelled++;
            ok &= r->head.err == ECANCELED;
        } else if (r->head.err == 0) {
            done++;
            ok &= r->output == (long)r->data * r->data;
        } else if (r->head.err == ERR_SEVEN) {
            failed++;
        } else {
            stopped++;
            ok &= r->head.err == ECANCELED;
        }
    }
    printf("%-8s run 2: cancelled after 5 ms: %zu done, %zu failed, %zu stopped while running, "
           "%zu cancelled in the queue, %zu never submitted\n",
           ops->name, done, failed, stopped, cancelled, N - submitted);
    /* The cancel cut the run short: 250 ms of work cannot all be done. */
    ok &= done + failed < N && stopped + cancelled + (N - submitted) > 0;
    cpat_ctx_release(ctx);
    free(out);
    free(input);
    return ok;
}

int main(int argc, char **argv) {
    int ok = 1, n = argc > 1 ? argc - 1 : 0;
    if (n == 0) /* every pool of the registry */
        while (cpat_pool_registry[n])
            n++;
    for (int i = 0; i < n; i++) {
        const char *name = argc > 1 ? argv[i + 1] : cpat_pool_registry[i]->name;
        const struct cpat_pool_ops *ops = cpat_pool_find(name);
        if (!ops) {
            fprintf(stderr, "worker_pool: no pool named '%s'\n", name);
            return 2;
        }
        ok &= run_all(ops);
        ok &= run_cancelled(ops);
    }
    ok &= cpat_ctx_live() == 0; /* every context released */
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
