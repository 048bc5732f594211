/* The seed's fanOut and fanIn, one per channel family:
 *
 *     func fanOut(in <-chan int, n int) []<-chan int   // n workers, out_i <- f(v)
 *     func fanIn(ins []<-chan int) <-chan int          // wg.Wait(); close(out)
 *
 * fan_out: n threads, each `for v := range in { out_i <- fn(v) }; close(out_i)`.
 * fan_in: one forwarding thread per input and a closer that waits on a
 * waitgroup of the family for all of them, then closes the output -- once,
 * after the last input is closed and its last value forwarded.
 * See cpat/pool.h for the interface.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "cpat/error.h"
#include "cpat/pool.h"
#include "cpat/registry.h"

struct fan_leg {
    struct cpat_fan *f;
    void *in, *out;
};

struct cpat_fan {
    const struct cpat_fan_ops *ops;
    const struct cpat_chan_ops *chan;
    const struct cpat_waitgroup_ops *wg; /* fan_in */
    void *wgobj;
    void *(*fn)(void *arg, void *v); /* fan_out */
    void *arg;
    size_t n, started;
    pthread_t *threads; /* n legs (+ the closer for fan_in) */
    struct fan_leg *legs;
};

static void *out_main(void *p) {
    struct fan_leg *l = p;
    const struct cpat_chan_ops *ch = l->f->chan;
    void *v;
    while (ch->recv(l->in, &v) == 0)
        ch->send(l->out, l->f->fn(l->f->arg, v));
    ch->close(l->out);
    return NULL;
}

static void *in_main(void *p) {
    struct fan_leg *l = p;
    const struct cpat_chan_ops *ch = l->f->chan;
    void *v;
    while (ch->recv(l->in, &v) == 0)
        ch->send(l->out, v);
    l->f->wg->done(l->f->wgobj); /* defer wg.Done() */
    return NULL;
}

static void *in_closer(void *p) {
    struct cpat_fan *f = p;
    f->wg->wait(f->wgobj); /* wg.Wait(); close(out) */
    f->chan->close(f->legs[0].out);
    return NULL;
}

static void fan_free(struct cpat_fan *f) {
    if (f->wgobj) {
        f->wg->destroy(f->wgobj);
        free(f->wgobj);
    }
    free(f->threads);
    free(f->legs);
    free(f);
}

static struct cpat_fan *fan_new(const struct cpat_fan_ops *ops, size_t n, size_t threads) {
    struct cpat_fan *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->ops = ops;
    f->chan = ops->chan;
    f->n = n;
    f->threads = calloc(threads, sizeof *f->threads);
    f->legs = calloc(n, sizeof *f->legs);
    if (!f->threads || !f->legs) {
        fan_free(f);
        return NULL;
    }
    return f;
}

/* Starts thread i; EAGAIN when the system has no thread for it. */
static int fan_go(struct cpat_fan *f, void *(*fn)(void *), void *arg) {
    if (pthread_create(&f->threads[f->started], NULL, fn, arg))
        return EAGAIN;
    f->started++;
    return 0;
}

static void fan_join(struct cpat_fan *f) {
    for (size_t i = 0; i < f->started; i++)
        pthread_join(f->threads[i], NULL);
    fan_free(f);
}

static int fan_out(const struct cpat_fan_ops *ops, struct cpat_fan **out, void *in, size_t n,
                   void *(*fn)(void *, void *), void *arg, void **outs) {
    *out = NULL;
    if (!in || n == 0 || !fn)
        return EINVAL;
    struct cpat_fan *f = fan_new(ops, n, n);
    if (!f)
        return ENOMEM;
    f->fn = fn;
    f->arg = arg;
    int e = 0;
    for (size_t i = 0; i < n && !e; i++) {
        f->legs[i] = (struct fan_leg){f, in, NULL};
        e = f->chan->make(&f->legs[i].out, 0);
    }
    for (size_t i = 0; i < n && !e; i++)
        e = fan_go(f, out_main, &f->legs[i]);
    if (e) {
        /* Legs that started end when `in` is closed; without a thread for
         * every leg we cannot promise that: this is the program's end. */
        if (f->started)
            cpat_die("pthread_create(fan_out)", e);
        for (size_t i = 0; i < n; i++)
            if (f->legs[i].out)
                f->chan->destroy(f->legs[i].out);
        fan_free(f);
        return e;
    }
    for (size_t i = 0; i < n; i++)
        outs[i] = f->legs[i].out;
    *out = f;
    return 0;
}

static int fan_in(const struct cpat_fan_ops *ops, struct cpat_fan **out, void *const *ins, size_t n,
                  void **merged) {
    *out = NULL;
    if (n == 0)
        return EINVAL;
    struct cpat_fan *f = fan_new(ops, n, n + 1);
    if (!f)
        return ENOMEM;
    void *ch;
    int e = f->chan->make(&ch, 0);
    if (e) {
        fan_free(f);
        return e;
    }
    f->wg = cpat_waitgroup_find(ops->name);
    f->wgobj = cpat_obj_new(f->wg->size, f->wg->align);
    f->wg->init(f->wgobj);
    f->wg->add(f->wgobj, (int)n);
    for (size_t i = 0; i < n; i++)
        f->legs[i] = (struct fan_leg){f, ins[i], ch};
    for (size_t i = 0; i < n && !e; i++)
        e = fan_go(f, in_main, &f->legs[i]);
    if (!e)
        e = fan_go(f, in_closer, f);
    if (e) {
        if (f->started)
            cpat_die("pthread_create(fan_in)", e); /* see fan_out */
        f->chan->destroy(ch);
        fan_free(f);
        return e;
    }
    *merged = ch;
    *out = f;
    return 0;
}

#define CPAT_FAN_FAMILY(V)                                                                         \
    static int V##_fan_out_(struct cpat_fan **f, void *in, size_t n, void *(*fn)(void *, void *),  \
                            void *arg, void **outs) {                                              \
        return fan_out(&cpat_fan_##V##_ops, f, in, n, fn, arg, outs);                              \
    }                                                                                              \
    static int V##_fan_in_(struct cpat_fan **f, void *const *ins, size_t n, void **out) {          \
        return fan_in(&cpat_fan_##V##_ops, f, ins, n, out);                                        \
    }                                                                                              \
    const struct cpat_fan_ops cpat_fan_##V##_ops = {                                               \
        .name = #V,                                                                                \
        .kind = "variant",                                                                         \
        .about = "the seed's fanOut/fanIn on " #V " channels and waitgroup",                       \
        .chan = &cpat_chan_##V##_ops,                                                              \
        .fan_out = V##_fan_out_,                                                                   \
        .fan_in = V##_fan_in_,                                                                     \
        .join = fan_join,                                                                          \
    };

CPAT_FAN_FAMILY(pthread)
CPAT_FAN_FAMILY(atomic)
CPAT_FAN_FAMILY(futex)
