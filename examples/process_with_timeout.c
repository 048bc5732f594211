/* The seed's processWithTimeout -- work raced against a timeout -- with a
 * cpat context, line for line.  The Go it translates (the seed's 5 s
 * timeout scaled down to 200 ms so that the example runs in a blink, and
 * the work's length an argument so that both outcomes show):
 *
 *   func slowWork(d time.Duration) string {
 *       time.Sleep(d)
 *       return fmt.Sprintf("worked %v", d)
 *   }
 *   func processWithTimeout(ctx context.Context, work time.Duration) (string, error) {
 *       ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
 *       defer cancel()
 *       result := make(chan string, 1)
 *       go func() { result <- slowWork(work) }()
 *       select {
 *       case r := <-result:
 *           return r, nil
 *       case <-ctx.Done():
 *           return "", ctx.Err()
 *       }
 *   }
 *   func main() {
 *       for _, work := range []time.Duration{10 * time.Millisecond, time.Second} {
 *           start := time.Now()
 *           r, err := processWithTimeout(context.Background(), work)
 *           fmt.Printf("work %v: %q, %v, after %v\n", work, r, err,
 *               time.Since(start).Round(time.Millisecond))
 *       }
 *   }
 *
 * `defer cancel()` is cpat_ctx_release() before the return; the select of
 * the result and ctx.Done() is cpat_ctx_recv(ctx, result, &r), which
 * returns 0 (the result won) or the context's Err (ETIMEDOUT: the deadline
 * won, and no value was taken).  The goroutine is a detached thread.  Go's
 * garbage collector frees the result channel once nobody uses it; here its
 * two users count references to it (struct call), and whichever is done
 * second destroys it: the second call's abandoned work still sends into it
 * after processWithTimeout has returned.  main returns while that work
 * still sleeps, as Go's main does: exit ends it. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chan/futex.h"
#include "common/clock.h"
#include "cpat/context.h"
#include "cpat/error.h"

#define MS 1000000ull /* ns */

typedef struct cpat_chan_futex chan;

static void go(void *(*fn)(void *), void *arg) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg))
        abort();
    pthread_detach(t);
}

static void slow_work(uint64_t d_ms, char *out, size_t size) {
    struct timespec ts = {(time_t)(d_ms / 1000), (long)(d_ms % 1000 * MS)};
    while (nanosleep(&ts, &ts)) /* EINTR: sleep the rest */
        ;
    snprintf(out, size, "worked %llums", (unsigned long long)d_ms);
}

/* One call's result channel and what the goroutine writes, shared by the
 * caller and the goroutine. */
struct call {
    _Atomic int refs; /* 2: the caller and the goroutine */
    chan *result;     /* capacity 1: the goroutine's send never blocks */
    uint64_t work_ms;
    char text[32]; /* the string the result points to */
};

static void call_drop(struct call *c) {
    /* acq_rel: the other side's last use happens-before the free. */
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
        cpat_chan_futex_destroy(c->result);
        free(c);
    }
}

static void *work_body(void *p) { /* go func() { result <- slowWork(work) }() */
    struct call *c = p;
    slow_work(c->work_ms, c->text, sizeof c->text);
    cpat_chan_futex_send(c->result, c->text);
    call_drop(c);
    return NULL;
}

/* Returns 0 and the result in r, or the context's Err and "" in r. */
static int process_with_timeout(cpat_ctx *parent, uint64_t work_ms, char *r, size_t size) {
    cpat_ctx *ctx;
    if (cpat_ctx_with_timeout(parent, 200 * MS, &ctx))
        abort();
    struct call *c = calloc(1, sizeof *c);
    if (!c || cpat_chan_futex_make(&c->result, 1))
        abort();
    atomic_init(&c->refs, 2);
    c->work_ms = work_ms;
    go(work_body, c);
    void *v;
    int err = cpat_ctx_recv(ctx, c->result, &v);
    snprintf(r, size, "%s", err ? "" : (const char *)v);
    call_drop(c);          /* done with the result channel */
    cpat_ctx_release(ctx); /* defer cancel() */
    return err;
}

int main(void) {
    static const uint64_t works_ms[] = {10, 1000};
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        uint64_t start = cpat_now_ns();
        char r[32];
        int err = process_with_timeout(cpat_ctx_background(&cpat_context_futex_ops), works_ms[i], r,
                                       sizeof r);
        uint64_t took_ms = (cpat_now_ns() - start + MS / 2) / MS;
        printf("work %llums: \"%s\", %s, after %llums\n", (unsigned long long)works_ms[i], r,
               err ? cpat_strerror(err) : "<nil>", (unsigned long long)took_ms);
        if (i == 0) /* the work wins, at once */
            ok &= err == 0 && strcmp(r, "worked 10ms") == 0 && took_ms < 200;
        else /* the timeout wins, never early, without waiting for the work */
            ok &= err == ETIMEDOUT && took_ms >= 200 && took_ms < 1000;
    }
    /* Both contexts are released.  The timer thread drops its own reference
     * to the one that timed out just after it has cancelled it, so the
     * count may need a moment to come down. */
    struct timespec ms = {0, (long)MS};
    for (int i = 0; i < 1000 && cpat_ctx_live() != 0; i++)
        nanosleep(&ms, NULL);
    ok &= cpat_ctx_live() == 0;
    return ok ? 0 : 1;
}
