/* The seed's pipeline -- source -> fanOut(n) -> fanIn -> sink -- with cpat
 * channels, line for line.  The Go it translates:
 *
 *   func gen(n int) <-chan int {
 *       out := make(chan int)
 *       go func() { for i := 1; i <= n; i++ { out <- i }; close(out) }()
 *       return out
 *   }
 *   func fanOut(in <-chan int, n int) []<-chan int {
 *       outs := make([]<-chan int, n)
 *       for i := range outs {
 *           out := make(chan int)
 *           outs[i] = out
 *           go func() { for v := range in { out <- v * v }; close(out) }()
 *       }
 *       return outs
 *   }
 *   func fanIn(ins []<-chan int) <-chan int {
 *       out := make(chan int)
 *       var wg sync.WaitGroup
 *       wg.Add(len(ins))
 *       for _, in := range ins {
 *           go func(in <-chan int) { defer wg.Done(); for v := range in { out <- v } }(in)
 *       }
 *       go func() { wg.Wait(); close(out) }()
 *       return out
 *   }
 *   func main() {
 *       sum := 0
 *       for v := range fanIn(fanOut(gen(1000), 4)) { sum += v }
 *       fmt.Println("sum of squares 1..1000 =", sum)
 *   }
 *
 * A goroutine is a thread here, a closure a small struct, and
 * `for v := range c` is
 * `while (recv(c, &v) == 0)`: recv returns EPIPE once c is closed and
 * drained.  Values are void *, so ints travel as intptr_t. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "chan/futex.h"
#include "waitgroup/futex.h"

typedef struct cpat_chan_futex chan;

/* Go's garbage collector frees channels and goroutines; here every one is
 * recorded, and main joins and frees them all at the end (cleanup()). */
static chan *chans[16];
static pthread_t threads[16];
static int nchans, nthreads;

static chan *make_chan(void) {
    chan *c;
    if (nchans == 16 || cpat_chan_futex_make(&c, 0)) /* unbuffered, as make(chan int) */
        abort();
    return chans[nchans++] = c;
}

static void go(void *(*fn)(void *), void *arg) {
    if (nthreads == 16 || pthread_create(&threads[nthreads++], NULL, fn, arg))
        abort();
}

static void cleanup(void) {
    while (nthreads)
        pthread_join(threads[--nthreads], NULL);
    while (nchans)
        cpat_chan_futex_destroy(chans[--nchans]);
}

struct gen_args {
    chan *out;
    intptr_t n;
};
static void *gen_body(void *p) {
    struct gen_args *a = p;
    for (intptr_t i = 1; i <= a->n; i++)
        cpat_chan_futex_send(a->out, (void *)i);
    cpat_chan_futex_close(a->out);
    free(a);
    return NULL;
}
static chan *gen(intptr_t n) {
    chan *out = make_chan();
    struct gen_args *a = malloc(sizeof *a);
    *a = (struct gen_args){out, n};
    go(gen_body, a);
    return out;
}

struct square_args {
    chan *in, *out;
};
static void *square_body(void *p) {
    struct square_args *a = p;
    void *v;
    while (cpat_chan_futex_recv(a->in, &v) == 0)
        cpat_chan_futex_send(a->out, (void *)((intptr_t)v * (intptr_t)v));
    cpat_chan_futex_close(a->out);
    free(a);
    return NULL;
}
static chan **fan_out(chan *in, int n) {
    chan **outs = calloc((size_t)n, sizeof *outs);
    for (int i = 0; i < n; i++) {
        chan *out = make_chan();
        outs[i] = out;
        struct square_args *a = malloc(sizeof *a);
        *a = (struct square_args){in, out};
        go(square_body, a);
    }
    return outs;
}

struct merge_args {
    chan *in, *out;
    struct cpat_waitgroup_futex *wg;
};
static void *merge_body(void *p) {
    struct merge_args *a = p;
    void *v;
    while (cpat_chan_futex_recv(a->in, &v) == 0)
        cpat_chan_futex_send(a->out, v);
    cpat_waitgroup_futex_done(a->wg); /* defer wg.Done() */
    free(a);
    return NULL;
}
static void *close_after_wait(void *p) {
    struct merge_args *a = p;
    cpat_waitgroup_futex_wait(a->wg);
    cpat_chan_futex_close(a->out);
    free(a);
    return NULL;
}
static struct cpat_waitgroup_futex wg_storage; /* fan_in's wg, as Go's escapes to the heap */

static chan *fan_in(chan **ins, int n) {
    chan *out = make_chan();
    struct cpat_waitgroup_futex *wg = &wg_storage;
    cpat_waitgroup_futex_init(wg);
    cpat_waitgroup_futex_add(wg, n);
    for (int i = 0; i < n; i++) {
        struct merge_args *a = malloc(sizeof *a);
        *a = (struct merge_args){ins[i], out, wg};
        go(merge_body, a);
    }
    struct merge_args *a = malloc(sizeof *a);
    *a = (struct merge_args){NULL, out, wg};
    go(close_after_wait, a);
    return out;
}

int main(void) {
    intptr_t sum = 0;
    void *v;
    chan **outs = fan_out(gen(1000), 4);
    chan *merged = fan_in(outs, 4);
    while (cpat_chan_futex_recv(merged, &v) == 0)
        sum += (intptr_t)v;
    cleanup();
    free(outs);
    printf("sum of squares 1..1000 = %ld\n", (long)sum);
    return sum == 333833500 ? 0 : 1;
}
