/* The seed's fanOut and fanIn -- source -> fanOut(n) -> fanIn -> sink --
 * with the cpat fan, line for line.  The Go it translates (examples/
 * pipeline.c writes the same with raw channels and threads):
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
 * fanOut and fanIn are the library's (cpat/pool.h): fan_out(&f, in, n,
 * square, arg, outs) starts the n workers, each sending square(arg, v)
 * for every v of `in` to its own unbuffered channel outs[i] and closing it
 * when `in` is closed and drained; fan_in(&f, ins, n, &out) starts one
 * forwarder per input and closes `out` once, after all of them.  A fan is
 * of one channel family (cpat_fan_find("futex")), and so are the
 * channels it takes and makes: gen's channel is made with the same
 * family's ops->chan.  C has no garbage collector: join() waits for a
 * fan's threads (they are done once the merged channel is drained) and
 * frees it, then the channels are destroyed -- gen's by us, after its
 * thread is joined.  Values are void *, so ints travel as intptr_t.
 *
 * It runs with the fans named as arguments, or with every fan of the
 * registry.  It exits 0 only when every sum is right. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpat/pool.h"
#include "cpat/registry.h"

struct gen_args {
    const struct cpat_chan_ops *chan;
    void *out;
    intptr_t n;
};
static void *gen_body(void *p) {
    struct gen_args *a = p;
    for (intptr_t i = 1; i <= a->n; i++)
        a->chan->send(a->out, (void *)i);
    a->chan->close(a->out);
    return NULL;
}
/* gen(n): its channel in a->out, its goroutine in *t (to join). */
static void gen(struct gen_args *a, pthread_t *t) {
    if (a->chan->make(&a->out, 0) || pthread_create(t, NULL, gen_body, a))
        abort();
}

/* fanOut's worker body: out <- v * v. */
static void *square(void *arg, void *v) {
    (void)arg;
    return (void *)((intptr_t)v * (intptr_t)v);
}

static intptr_t sum_of_squares(const struct cpat_fan_ops *ops, intptr_t n, size_t workers) {
    const struct cpat_chan_ops *ch = ops->chan;
    struct gen_args g = {ch, NULL, n};
    pthread_t gen_thread;
    gen(&g, &gen_thread);
    void **outs = calloc(workers, sizeof *outs), *merged, *v;
    struct cpat_fan *fo, *fi;
    if (!outs || ops->fan_out(&fo, g.out, workers, square, NULL, outs) || /* fanOut(gen(n), 4) */
        ops->fan_in(&fi, outs, workers, &merged))                         /* fanIn(...) */
        abort();
    intptr_t sum = 0;
    while (ch->recv(merged, &v) == 0) /* for v := range fanIn(...) */
        sum += (intptr_t)v;
    ops->join(fi);
    ops->join(fo);
    pthread_join(gen_thread, NULL);
    ch->destroy(merged);
    for (size_t i = 0; i < workers; i++)
        ch->destroy(outs[i]);
    ch->destroy(g.out);
    free(outs);
    return sum;
}

int main(int argc, char **argv) {
    int ok = 1, n = argc > 1 ? argc - 1 : 0;
    if (n == 0) /* every fan of the registry */
        while (cpat_fan_registry[n])
            n++;
    for (int i = 0; i < n; i++) {
        const char *name = argc > 1 ? argv[i + 1] : cpat_fan_registry[i]->name;
        const struct cpat_fan_ops *ops = cpat_fan_find(name);
        if (!ops) {
            fprintf(stderr, "fan: no fan named '%s'\n", name);
            return 2;
        }
        intptr_t sum = sum_of_squares(ops, 1000, 4);
        printf("%-8s sum of squares 1..1000 = %ld\n", ops->name, (long)sum);
        ok &= sum == 333833500;
    }
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
