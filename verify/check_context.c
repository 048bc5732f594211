/* Context checks X1-X9 (../shared/GUARANTEES.md).
 *
 * The checks call the context through struct vctx_api (mutants/mutants.h):
 * for a variant, the library's own functions on its family; for a mutant,
 * the same with one call replaced by a broken wrapper.  Done is looked at
 * the way a caller looks at it: a tryrecv that says EPIPE (closed) or
 * EAGAIN (open), or NULL for a context that can never be cancelled.
 *
 * Trees mix every kind of context (with_cancel, with_deadline far ahead,
 * with_value, without_cancel) in random shapes, from bushy to a chain
 * thousands deep.  The check keeps its own model of each tree -- which
 * nodes a cancel reaches (its descendants through no without_cancel), which
 * value a node sees (its nearest ancestor's with the key) -- and compares
 * every node with it.
 *
 * Most checks run in rounds: thread 0 sets a round up between two
 * barriers, every thread works, thread 0 tears it down.  A thread stuck in
 * the library holds the others at a barrier, the progress counter stalls
 * and the watchdog reports the hang (X5's deadlocks).  Everything a check
 * makes it frees -- contexts, channels, after_func handles -- so that LSan
 * at the exit of the check's process (the ASan build) reports real leaks.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/spin.h"
#include "cpat/error.h"
#include "cpat/registry.h"
#include "harness.h"
#include "mutants/mutants.h"

#if defined(__SANITIZE_ADDRESS__)
#define X_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define X_ASAN 1
#endif
#endif
#ifndef X_ASAN
#define X_ASAN 0
#endif
/* Fixed amounts of work (X1's deep chain, X9's 10^6 contexts) are cut by
 * this under ThreadSanitizer, which runs them 5-20x slower. */
#define X_SLOW (CPAT_TSAN ? 10 : 1)

#define US     1000ull
#define MS     1000000ull
#define FAR_NS (3600ull * 1000 * MS) /* a deadline no check reaches: an hour ahead */

/* How long a check waits for what must happen at once (a cancel seen by a
 * poller, an after_func's run) before it calls it lost itself, rather than
 * leave it to the watchdog. */
#define X_BUDGET_NS VERIFY_WAIT_BUDGET_NS

/* ---- common ----------------------------------------------------------- */

static uint64_t rnd(struct vthread *t, uint64_t n) {
    return n ? vrand(t) % n : 0;
}

static void sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

static void spin(uint64_t n) {
    while (n--)
        cpat_cpu_relax();
}

/* A short random pause: nothing, a spin, a yield or a sleep. */
static void pause_some(struct vthread *t, uint64_t max_us) {
    switch (rnd(t, 4)) {
    case 0:
        break;
    case 1:
        spin(rnd(t, 64 * max_us + 1));
        break;
    case 2:
        sched_yield();
        break;
    default:
        sleep_ns(rnd(t, max_us * US + 1));
    }
}

static void atomic_max(_Atomic uint64_t *a, uint64_t v) {
    uint64_t w = atomic_load_explicit(a, memory_order_relaxed);
    while (v > w && !atomic_compare_exchange_weak_explicit(a, &w, v, memory_order_relaxed,
                                                           memory_order_relaxed))
        ;
}

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *xmalloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p)
        cpat_die("calloc", ENOMEM);
    return p;
}

/* A with_* call must succeed: ENOMEM here is the machine's, not a verdict.
 * made(with_*(..., &c), &c, "call"): c is read after the call. */
static cpat_ctx *made(int e, cpat_ctx **c, const char *call) {
    if (e)
        cpat_die(call, e);
    if (!*c)
        cpat_die(call, EINVAL);
    return *c;
}

static const struct vctx_api *api_of(const struct vrun *r) {
    return r->ops;
}

static cpat_ctx *bg_of(const struct vctx_api *A) {
    return cpat_ctx_background(A->ops);
}

enum { D_NONE, D_OPEN, D_CLOSED, D_VALUE };
static const char *const d_name[] = {"NULL", "open", "closed", "holding a value"};

/* Done as a caller sees it. */
static int done_state(const struct vctx_api *A, cpat_ctx *c) {
    void *d = cpat_ctx_done(c);
    if (!d)
        return D_NONE;
    void *v = NULL;
    int e = A->ops->chan->tryrecv(d, &v);
    return e == EPIPE ? D_CLOSED : e == EAGAIN ? D_OPEN : D_VALUE;
}

/* For a failure's message: whether c's Done, found open when it had to be
 * closed, closes within 100 ms after all (a concurrent cancel still
 * walking the tree) or not (a cancel that never reached it). */
static const char *closes_later(const struct vctx_api *A, cpat_ctx *c, char *buf, size_t n) {
    uint64_t t0 = cpat_now_ns(), end = t0 + 100 * MS;
    while (done_state(A, c) != D_CLOSED && cpat_now_ns() < end)
        sched_yield();
    if (done_state(A, c) == D_CLOSED)
        snprintf(buf, n, "it closed %.1f us later", (cpat_now_ns() - t0) / 1e3);
    else
        snprintf(buf, n, "still open 100 ms later");
    return buf;
}

/* Contexts alive, once every thread but the timer's is quiet: the timer
 * thread may still hold a context it fired for a moment, so wait (briefly)
 * for the count to come down to at most want. */
static long live_settled(long want) {
    uint64_t end = cpat_now_ns() + X_BUDGET_NS;
    long n;
    while ((n = cpat_ctx_live()) > want && cpat_now_ns() < end)
        sleep_ns(100 * US);
    return n;
}

/* ---- rounds ----------------------------------------------------------- */

struct rounds {
    pthread_barrier_t b;
    bool stop; /* plain: thread 0 writes it before the barrier that opens a round */
    long n;    /* rounds started */
};

static void rounds_init(struct rounds *R, int threads) {
    pthread_barrier_init(&R->b, NULL, (unsigned)threads);
    R->stop = false;
    R->n = 0;
}

/* Every thread: whether another round starts (thread 0 decides).  A round
 * must hold at least one round_sync() after its work. */
static bool round_next(struct vthread *t, struct rounds *R) {
    if (t->index == 0) {
        R->stop = vtime_up(t) || vfailed(t->r);
        R->n += !R->stop;
    }
    pthread_barrier_wait(&R->b);
    return !R->stop;
}

static void round_sync(struct rounds *R) {
    pthread_barrier_wait(&R->b);
}

/* ---- trees and their model ------------------------------------------ */

enum { N_CANCEL, N_DEADLINE, N_VALUE, N_DETACHED, N_KINDS };
static const char *const n_call[N_KINDS] = {"with_cancel", "with_deadline", "with_value",
                                            "without_cancel"};

struct node {
    cpat_ctx *c; /* NULL once released */
    int kind, parent, depth;
    int canc; /* nearest cancellable node at or above it, below any without_cancel; -1 none */
    int key;  /* N_VALUE: index into keys[] */
    void *value;
    int cause; /* X1's model: the cause that reached it first; 0 none */
};

struct tree {
    struct node *n;
    int len, cap;
};

#define NKEYS 6
static char keys[NKEYS + 1]; /* value keys, compared by address; keys[NKEYS] is never set */

static void *node_value(int i, int key) {
    return (void *)(uintptr_t)(((uint64_t)i + 1) << 4 | (unsigned)key);
}

/* Adds a node of the given kind under parent (-1: background); a
 * with_deadline node's deadline is `deadline`, or an hour ahead if 0. */
static int tree_add(const struct vctx_api *A, struct tree *T, int parent, int kind, int key,
                    uint64_t deadline) {
    if (T->len == T->cap) {
        T->cap = T->cap ? 2 * T->cap : 64;
        T->n = realloc(T->n, (size_t)T->cap * sizeof *T->n);
        if (!T->n)
            cpat_die("realloc", ENOMEM);
    }
    cpat_ctx *p = parent < 0 ? bg_of(A) : T->n[parent].c;
    struct node *x = &T->n[T->len];
    *x = (struct node){.kind = kind,
                       .parent = parent,
                       .depth = parent < 0 ? 1 : T->n[parent].depth + 1,
                       .key = -1};
    cpat_ctx *c = NULL;
    int e;
    switch (kind) {
    case N_CANCEL:
        e = A->with_cancel(p, &c);
        break;
    case N_DEADLINE:
        e = A->with_deadline(p, deadline ? deadline : cpat_now_ns() + FAR_NS, &c);
        break;
    case N_VALUE:
        x->key = key;
        x->value = node_value(T->len, key);
        e = A->with_value(p, &keys[key], x->value, &c);
        break;
    default:
        e = A->without_cancel(p, &c);
    }
    x->c = made(e, &c, n_call[kind]);
    x->canc = kind == N_CANCEL || kind == N_DEADLINE ? T->len
              : kind == N_DETACHED || parent < 0     ? -1
                                                     : T->n[parent].canc;
    return T->len++;
}

static int pick_kind(struct vthread *t, const int w[N_KINDS]) {
    int sum = 0;
    for (int i = 0; i < N_KINDS; i++)
        sum += w[i];
    int x = (int)rnd(t, (uint64_t)sum);
    for (int i = 0;; i++)
        if ((x -= w[i]) < 0)
            return i;
}

/* Grows T to size nodes: a with_cancel root over background, then each new
 * node under the last one (chain_pct % of the time) or under any. */
static void tree_grow(const struct vctx_api *A, struct tree *T, struct vthread *t, int size,
                      const int w[N_KINDS], unsigned chain_pct) {
    if (T->len == 0)
        tree_add(A, T, -1, N_CANCEL, 0, 0);
    while (T->len < size) {
        int parent = rnd(t, 100) < chain_pct ? T->len - 1 : (int)rnd(t, (uint64_t)T->len);
        tree_add(A, T, parent, pick_kind(t, w), (int)rnd(t, NKEYS), 0);
        if (T->len % 256 == 0)
            vtick(t);
    }
}

/* Releases every node still owned -- top-down, bottom-up or at random --
 * and forgets the model. */
static void tree_release(const struct vctx_api *A, struct tree *T, struct vthread *t) {
    int how = (int)rnd(t, 3);
    int *order = xmalloc((size_t)T->len * sizeof *order);
    for (int i = 0; i < T->len; i++)
        order[i] = how == 1 ? T->len - 1 - i : i;
    if (how == 2)
        for (int i = T->len - 1; i > 0; i--) {
            int j = (int)rnd(t, (uint64_t)i + 1), x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
    for (int i = 0; i < T->len; i++) {
        struct node *x = &T->n[order[i]];
        if (x->c)
            A->release(x->c);
        x->c = NULL;
        if (i % 256 == 255)
            vtick(t);
    }
    free(order);
    free(T->n);
    *T = (struct tree){0};
}

/* Marks in sub[] what a cancel of node x reaches: x and its descendants
 * through no without_cancel (nodes are made after their parents). */
static void reach(const struct tree *T, int x, unsigned char *sub) {
    memset(sub, 0, (size_t)T->len);
    sub[x] = 1;
    for (int i = x + 1; i < T->len; i++)
        sub[i] = T->n[i].parent >= 0 && sub[T->n[i].parent] && T->n[i].kind != N_DETACHED;
}

static const char *describe(const struct tree *T, int i, char *buf, size_t n) {
    snprintf(buf, n, "node %d (%s, depth %d)", i, n_call[T->n[i].kind], T->n[i].depth);
    return buf;
}

/* A random cancellable node still owned, or -1. */
static int pick_cancellable(struct vthread *t, const struct tree *T) {
    for (int tries = 0; tries < 64; tries++) {
        int i = (int)rnd(t, (uint64_t)T->len);
        if (T->n[i].c && (T->n[i].kind == N_CANCEL || T->n[i].kind == N_DEADLINE))
            return i;
    }
    for (int i = 0; i < T->len; i++)
        if (T->n[i].c && (T->n[i].kind == N_CANCEL || T->n[i].kind == N_DEADLINE))
            return i;
    return -1;
}

/* ---- X1: cancel reaches every descendant before it returns --------------
 *
 * Own rounds: each thread grows a tree of its own, cancels nodes one after
 * another (cancel, cancel_cause with a cause of its own, release) and after
 * each one compares every node with the model: the nodes it reaches have
 * Done closed, Err ECANCELED and the cause of the first cancel that reached
 * them; the others -- a without_cancel subtree above all -- are untouched
 * (Done open, or NULL where nothing above can cancel them).  The first own
 * round of each thread is a chain X1_DEEP long with one without_cancel
 * somewhere in its lower half, cancelled from the top.
 * Shared rounds: every thread cancels nodes of one tree at once -- thread
 * 0 the root first, the others random nodes a moment later, while the
 * root's cancel walks the tree -- and after its own cancel() returns, that
 * node's whole reach must be done, even if another thread's cancel of an
 * ancestor reached the node first and is still walking below it. */

#define X1_DEEP (20000 / X_SLOW)

static const int x1_weights[N_KINDS] = {40, 15, 30, 15};

struct x1 {
    const struct vctx_api *A;
    struct rounds R;
    struct tree shared;
    _Atomic long cancels, nodes_checked;
};

static bool x1_check_all(const struct vrun *r, const struct vctx_api *A, const struct tree *T,
                         const char *what) {
    for (int i = 0; i < T->len; i++) {
        const struct node *x = &T->n[i];
        if (!x->c)
            continue;
        int st = done_state(A, x->c), e = cpat_ctx_err(x->c), cs = cpat_ctx_cause(x->c);
        int want_st = x->cause ? D_CLOSED : x->canc < 0 ? D_NONE : D_OPEN;
        int want_e = x->cause ? ECANCELED : 0;
        if (st != want_st || e != want_e || cs != x->cause) {
            char d[96];
            vfail(r,
                  "after %s in a tree of %d, %s, which it %s: Done %s, Err %d, cause %d; want "
                  "Done %s, Err %d, cause %d",
                  what, T->len, describe(T, i, d, sizeof d),
                  x->cause ? "reaches" : "must not reach", d_name[st], e, cs, d_name[want_st],
                  want_e, x->cause);
            return false;
        }
    }
    return true;
}

static void x1_own(struct vthread *t, struct x1 *s, unsigned char *sub, bool deep) {
    const struct vctx_api *A = s->A;
    struct tree T = {0};
    if (deep) {
        int det = rnd(t, 2) ? X1_DEEP / 2 + (int)rnd(t, X1_DEEP / 2) : -1;
        tree_add(A, &T, -1, N_CANCEL, 0, 0);
        for (int i = 1; i < X1_DEEP; i++) {
            tree_add(A, &T, i - 1,
                     i == det    ? N_DETACHED
                     : rnd(t, 2) ? N_CANCEL
                                 : N_VALUE,
                     (int)rnd(t, NKEYS), 0);
            if (i % 256 == 0)
                vtick(t);
        }
    } else {
        tree_grow(A, &T, t, 2 + (int)rnd(t, 250), x1_weights, (unsigned)rnd(t, 100));
    }
    int k = deep ? 1 : 1 + (int)rnd(t, 6);
    for (int j = 0; j < k && !vfailed(t->r); j++) {
        int x = deep ? 0 : pick_cancellable(t, &T);
        if (x < 0)
            break;
        int how = deep ? 0 : (int)rnd(t, 3);
        int cause = how == 1 ? 1000 + (int)rnd(t, 1000000) : ECANCELED;
        char what[200], d[96];
        describe(&T, x, d, sizeof d);
        if (how == 0) {
            snprintf(what, sizeof what, "cancel() of %s", d);
            A->cancel(T.n[x].c);
        } else if (how == 1) {
            snprintf(what, sizeof what, "cancel_cause(%d) of %s", cause, d);
            A->cancel_cause(T.n[x].c, cause);
        } else {
            snprintf(what, sizeof what, "release() of %s", d);
            A->release(T.n[x].c);
            T.n[x].c = NULL;
        }
        atomic_fetch_add_explicit(&s->cancels, 1, memory_order_relaxed);
        reach(&T, x, sub);
        for (int i = 0; i < T.len; i++)
            if (sub[i] && !T.n[i].cause)
                T.n[i].cause = cause;
        x1_check_all(t->r, A, &T, what);
        atomic_fetch_add_explicit(&s->nodes_checked, T.len, memory_order_relaxed);
        vtick(t);
    }
    tree_release(A, &T, t);
}

static void x1_shared(struct vthread *t, struct x1 *s, unsigned char *sub) {
    const struct vctx_api *A = s->A;
    const struct tree *T = &s->shared;
    int k = 1 + (int)rnd(t, 4);
    if (t->index != 0)
        spin(rnd(t, 2000)); /* while thread 0's cancel of the root walks the tree */
    for (int j = 0; j < k && !vfailed(t->r); j++) {
        int x = t->index == 0 && j == 0 ? 0 : pick_cancellable(t, T);
        A->cancel(T->n[x].c);
        atomic_fetch_add_explicit(&s->cancels, 1, memory_order_relaxed);
        reach(T, x, sub);
        for (int i = x; i < T->len; i++) {
            if (!sub[i])
                continue;
            int st = done_state(A, T->n[i].c), e = cpat_ctx_err(T->n[i].c);
            if (st != D_CLOSED || e == 0) {
                char d[96], dx[96], later[64];
                vfail(t->r,
                      "after cancel() of %s returned, %s below it has Done %s, Err %d; %s (%d "
                      "threads cancelling nodes of one tree of %d at once)",
                      describe(T, x, dx, sizeof dx), describe(T, i, d, sizeof d), d_name[st], e,
                      closes_later(A, T->n[i].c, later, sizeof later), t->r->threads, T->len);
                return;
            }
        }
        vtick(t);
    }
}

static void x1_thread(struct vthread *t) {
    struct x1 *s = t->arg;
    unsigned char *sub = xmalloc(X1_DEEP > 512 ? X1_DEEP : 512);
    while (round_next(t, &s->R)) {
        bool shared = s->R.n % 2 == 0;
        if (shared && t->index == 0)
            tree_grow(s->A, &s->shared, t, 50 + (int)rnd(t, 250), x1_weights,
                      (unsigned)rnd(t, 100));
        round_sync(&s->R);
        if (shared)
            x1_shared(t, s, sub);
        else
            x1_own(t, s, sub, s->R.n == 1);
        round_sync(&s->R);
        if (shared && t->index == 0)
            tree_release(s->A, &s->shared, t);
    }
    free(sub);
}

static int x1_run(const struct vrun *r) {
    struct x1 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    rounds_init(&s->R, r->threads);
    vthreads_run(r, r->threads, x1_thread, s);
    pthread_barrier_destroy(&s->R.b);
    vnote(r, "%ld rounds, %ld cancels, %ld node states compared; chain %d deep", s->R.n,
          atomic_load(&s->cancels), atomic_load(&s->nodes_checked), X1_DEEP);
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X2: Err and Done never disagree -----------------------------------
 *
 * Each round: a root (with_cancel, or with_timeout a few hundred us ahead)
 * and a few descendants; thread 0 cancels the root (first, sometimes, a
 * descendant) at a random moment, while every other thread watches one
 * node: polling (Err, then Done, then Err), blocked in a recv on Done, or
 * in the family's ctx-aware select.  A watcher must never see Done closed
 * with Err 0, nor Err change once set, nor Err ECANCELED before anyone
 * called cancel (`started`, read after Err), nor ETIMEDOUT before the
 * deadline, nor Err set while Done is still open (a poller reads Err,
 * then Done: Err set there means Done was closed first). */

struct x2 {
    const struct vctx_api *A;
    struct rounds R;
    struct tree T;
    uint64_t deadline; /* the root's requested deadline; UINT64_MAX none */
    _Atomic int started;
    _Atomic long watched, polls;
};

/* Err as seen now is allowed: ECANCELED only once cancel has started,
 * ETIMEDOUT only once the deadline has passed. */
static bool x2_err_allowed(struct vthread *t, struct x2 *s, int e, const char *where) {
    if (e == 0)
        return true;
    if (e == ECANCELED && !atomic_load_explicit(&s->started, memory_order_acquire)) {
        vfail(t->r, "%s: Err ECANCELED before anything was cancelled", where);
        return false;
    }
    if (e == ETIMEDOUT && cpat_now_ns() < s->deadline) {
        vfail(t->r, "%s: Err ETIMEDOUT before the deadline", where);
        return false;
    }
    if (e != ECANCELED && e != ETIMEDOUT) {
        vfail(t->r, "%s: Err %d", where, e);
        return false;
    }
    return true;
}

static void x2_watch(struct vthread *t, struct x2 *s, int i) {
    const struct vctx_api *A = s->A;
    cpat_ctx *c = s->T.n[i].c;
    char where[160], d[96];
    int mode = (int)rnd(t, 4);
    snprintf(where, sizeof where, "%s of a tree of %d, watched by %s",
             describe(&s->T, i, d, sizeof d), s->T.len,
             mode <= 1   ? "polling"
             : mode == 2 ? "recv on Done"
                         : "the ctx-aware select");
    int err = 0;
    uint64_t end = cpat_now_ns() + X_BUDGET_NS;
    if (mode <= 1) {
        for (long n = 0;; n++) {
            int e1 = cpat_ctx_err(c);
            if (!x2_err_allowed(t, s, e1, where))
                return;
            int st = done_state(A, c);
            int e2 = cpat_ctx_err(c);
            if (st == D_CLOSED && e2 == 0) {
                vfail(t->r, "%s: Done closed, Err 0", where);
                return;
            }
            if (st != D_CLOSED && st != D_OPEN) {
                vfail(t->r, "%s: Done %s", where, d_name[st]);
                return;
            }
            if (e1 && e2 != e1) {
                vfail(t->r, "%s: Err changed from %d to %d", where, e1, e2);
                return;
            }
            if (e1 && st == D_OPEN) {
                vfail(t->r, "%s: Err %d with Done still open", where, e1);
                return;
            }
            if (st == D_CLOSED) {
                err = e2;
                atomic_fetch_add_explicit(&s->polls, n, memory_order_relaxed);
                break;
            }
            if (n % 1024 == 1023) {
                vtick(t);
                if (cpat_now_ns() > end || vfailed(t->r)) {
                    if (!vfailed(t->r))
                        vfail(t->r, "%s: Done still open %.0f ms after the round began", where,
                              X_BUDGET_NS / 1e6);
                    return;
                }
            }
        }
    } else if (mode == 2) {
        void *v = NULL;
        int e = A->ops->chan->recv(cpat_ctx_done(c), &v);
        err = cpat_ctx_err(c);
        if (e != EPIPE) {
            vfail(t->r, "%s: recv on Done returned %d, not EPIPE", where, e);
            return;
        }
        if (err == 0) {
            vfail(t->r, "%s: Done closed, Err 0", where);
            return;
        }
    } else {
        struct cpat_select_case cs[1] = {{NULL, CPAT_RECV, NULL}};
        size_t chosen = 99;
        int e = A->select(c, cs, 1, &chosen);
        err = cpat_ctx_err(c);
        if (chosen != 1 || e == 0 || e != err) {
            vfail(t->r,
                  "%s: select over a NULL channel returned %d with case %zu; want the "
                  "context's Err (now %d) with case 1",
                  where, e, chosen, err);
            return;
        }
        /* Err is set before Done is closed (cpat/context.h): the canceller
         * may not have closed it yet, but it must, soon. */
        while (done_state(A, c) != D_CLOSED)
            if (cpat_now_ns() > end) {
                vfail(t->r,
                      "%s: the select reported the context ended; Done still open %.0f ms "
                      "after the round began",
                      where, X_BUDGET_NS / 1e6);
                return;
            } else
                sched_yield();
    }
    if (!x2_err_allowed(t, s, err, where))
        return;
    int cause = cpat_ctx_cause(c);
    for (int k = 0; k < 64; k++) {
        int e = cpat_ctx_err(c), cs = cpat_ctx_cause(c), st = done_state(A, c);
        if (e != err || cs != cause || st != D_CLOSED) {
            vfail(t->r, "%s: after Err %d and cause %d, read Err %d, cause %d, Done %s", where, err,
                  cause, e, cs, d_name[st]);
            return;
        }
    }
    atomic_fetch_add_explicit(&s->watched, 1, memory_order_relaxed);
}

static void x2_thread(struct vthread *t) {
    struct x2 *s = t->arg;
    const struct vctx_api *A = s->A;
    while (round_next(t, &s->R)) {
        if (t->index == 0) {
            bool timed = rnd(t, 3) == 0;
            s->T = (struct tree){0};
            atomic_store(&s->started, 0);
            s->deadline = UINT64_MAX;
            if (timed) { /* the root by hand: a timeout instead of tree_add's with_cancel */
                s->T.cap = 16;
                s->T.n = xmalloc(16 * sizeof *s->T.n);
                uint64_t tmo = 20 * US + rnd(t, 400 * US);
                s->deadline = cpat_now_ns() + tmo;
                cpat_ctx *c = NULL;
                s->T.n[0] =
                    (struct node){.c = made(A->with_timeout(bg_of(A), tmo, &c), &c, "with_timeout"),
                                  .kind = N_DEADLINE,
                                  .parent = -1,
                                  .depth = 1,
                                  .canc = 0,
                                  .key = -1};
                s->T.len = 1;
            }
            static const int w[N_KINDS] = {40, 20, 40, 0};
            tree_grow(A, &s->T, t, 1 + (int)rnd(t, 7), w, 30);
        }
        round_sync(&s->R);
        if (t->index == 0) {
            pause_some(t, 100);
            atomic_store(&s->started, 1);
            if (s->T.len > 1 && rnd(t, 3) == 0) {
                int x = pick_cancellable(t, &s->T);
                A->cancel_cause(s->T.n[x].c, 7);
            }
            A->cancel(s->T.n[0].c);
            x2_watch(t, s, (int)rnd(t, (uint64_t)s->T.len));
        } else {
            x2_watch(t, s, (t->index - 1) % s->T.len);
        }
        vtick(t);
        round_sync(&s->R);
        if (t->index == 0)
            tree_release(A, &s->T, t);
    }
}

static int x2_run(const struct vrun *r) {
    struct x2 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    rounds_init(&s->R, r->threads);
    vthreads_run(r, r->threads, x2_thread, s);
    pthread_barrier_destroy(&s->R.b);
    vnote(r, "%ld rounds, %ld nodes watched to the end, %ld polls", s->R.n,
          atomic_load(&s->watched), atomic_load(&s->polls));
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X3: deadlines ------------------------------------------------------
 *
 * Each round every thread makes X3_TIMERS contexts with deadlines spread at
 * random over X3_WINDOW_NS, in random order (with_deadline, with_timeout,
 * and children of an earlier timer with a later deadline of their own,
 * which end at the parent's), and watches them fire: polling Done, blocked
 * in the family's select over all their Done channels, or in a ctx-aware
 * recv on a channel nobody sends to (whose own timed wait may see the
 * deadline first).  Each must end no earlier than its deadline -- the
 * clock read after Done was seen closed is at or past it -- with Err and
 * cause ETIMEDOUT, and no later than the bound after it (X3_LATE_MS, times
 * the threads per core when there are more threads than cores): a poller
 * that finds Done still open (clock read before the poll) past the bound
 * fails the check, whatever kept the poller itself from running;
 * on a machine so loaded that the poller's own 20 us sleeps overslept, the
 * bound grows by the worst oversleep of that round (the note gives these
 * figures and the latest any watcher saw a timer end, wake-ups and all); a
 * timer not ended a second past the bound fails whoever watches it.  A far
 * deadline made first by each thread makes every other one a new earliest
 * that must wake the timer thread.  A poller also cancels some of its timers before their deadline:
 * a cancel that returned before the deadline leaves ECANCELED for good.  Thread 0 checks a past
 * deadline (done when with_deadline returns) at the start of each round. */

#define X3_TIMERS    16
#define X3_WINDOW_NS ((CPAT_TSAN ? 20 : 10) * MS)
/* The stated bound: a deadline fires within this (the timer thread's timed
 * wait and wake-up on a loaded machine; sanitizers slow it), per thread
 * sharing a core (x3_bound_ns). */
#define X3_LATE_MS   (CPAT_TSAN ? 500 : X_ASAN ? 100 : 50)

struct x3t {
    cpat_ctx *c;
    uint64_t lo, hi;     /* the requested deadline: no earlier than lo, no later than hi */
    int parent;          /* the timer it is a child of, -1 */
    bool has_child;      /* never cancelled by hand */
    uint64_t cancel_at;  /* 0: not cancelled by hand */
    uint64_t cancel_ret; /* when our cancel() returned; 0 not yet */
    uint64_t seen;       /* when it was first seen ended; 0 not yet */
    uint64_t made;       /* when the with_* call returned */
    uint64_t open_at;    /* polling: the clock read before the last poll that found it open */
    int err;
};

struct x3 {
    const struct vctx_api *A;
    struct rounds R;
    _Atomic long fired, cancelled;
    _Atomic uint64_t worst_late;    /* seen ended after the deadline, by any watcher */
    _Atomic uint64_t worst_certain; /* found open by a poll after the deadline */
    _Atomic uint64_t worst_slack;   /* a poller's 20 us sleep overslept */
};

static const char *const x3_mode[] = {"polling Done", "select over the Done channels",
                                      "a ctx-aware recv"};

static bool x3_past(struct vthread *t, struct x3 *s) {
    const struct vctx_api *A = s->A;
    cpat_ctx *far =
        made(A->with_deadline(bg_of(A), cpat_now_ns() + FAR_NS, &far), &far, "with_deadline");
    cpat_ctx *val = made(A->with_value(far, &keys[0], &keys[0], &val), &val, "with_value");
    bool ok = true;
    for (int k = 0; k < 6 && ok; k++) {
        uint64_t now = cpat_now_ns();
        cpat_ctx *c = NULL;
        const char *what;
        int e;
        switch (k) {
        case 0:
            what = "with_deadline(background, now - 1 us)";
            e = A->with_deadline(bg_of(A), now - US, &c);
            break;
        case 1:
            what = "with_deadline(background, 0)";
            e = A->with_deadline(bg_of(A), 0, &c);
            break;
        case 2:
            what = "with_deadline(background, now)";
            e = A->with_deadline(bg_of(A), now, &c);
            break;
        case 3:
            what = "with_timeout(background, 0)";
            e = A->with_timeout(bg_of(A), 0, &c);
            break;
        case 4:
            what = "with_deadline(a context with a far deadline, now - 1 ms)";
            e = A->with_deadline(far, now - MS, &c);
            break;
        default:
            what = "with_deadline(a value over a context with a far deadline, now - 1 ns)";
            e = A->with_deadline(val, now - 1, &c);
        }
        made(e, &c, what);
        int st = done_state(A, c), err = cpat_ctx_err(c), cs = cpat_ctx_cause(c);
        if (st != D_CLOSED || err != ETIMEDOUT || cs != ETIMEDOUT)
            ok = !vfail(t->r,
                        "%s: on return Done %s, Err %d, cause %d; a past deadline is done at "
                        "once (Done closed, Err and cause ETIMEDOUT)",
                        what, d_name[st], err, cs);
        A->release(c);
    }
    if (ok && (cpat_ctx_err(far) || cpat_ctx_err(val)))
        ok = !vfail(t->r, "a child with a past deadline cancelled its parent (Err %d)",
                    cpat_ctx_err(far));
    A->release(val);
    A->release(far);
    return ok;
}

/* Checks timer x, seen ended at `now` with Err err. */
/* The bound for a run with this many threads: X3_LATE_MS times how many
 * threads share a core (a spinning family's lock holder or its spinning
 * waiters can keep the timer thread off a core for whole time slices). */
static uint64_t x3_bound_ns(int threads) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long share = cores > 0 ? (threads + cores - 1) / cores : 1;
    return (uint64_t)X3_LATE_MS * MS * (uint64_t)(share > 1 ? share : 1);
}

static bool x3_seen(struct vthread *t, struct x3t *tm, int x, uint64_t now, int mode,
                    uint64_t slack) {
    struct x3t *m = &tm[x];
    m->seen = now;
    m->err = cpat_ctx_err(m->c);
    int cs = cpat_ctx_cause(m->c), st;
    const char *how = x3_mode[mode];
    /* A ctx-aware recv returns once Err is set, which comes before Done is
     * closed (cpat/context.h): the close must follow, soon. */
    uint64_t end = now + X_BUDGET_NS;
    while ((st = done_state(api_of(t->r), m->c)) == D_OPEN && mode == 2 && cpat_now_ns() < end)
        sched_yield();
    if (st != D_CLOSED)
        return !vfail(t->r, "timer seen ended by %s has Done %s", how, d_name[st]);
    if (m->err == ECANCELED && m->cancel_ret)
        return true; /* we cancelled it, in time or not: either end is right */
    if (m->err != ETIMEDOUT || cs != ETIMEDOUT)
        return !vfail(t->r, "timer (%s) ended with Err %d, cause %d, not ETIMEDOUT", how, m->err,
                      cs);
    if (m->cancel_ret && m->cancel_ret < m->lo)
        return !vfail(t->r,
                      "timer (%s): cancel() returned %.1f us before its deadline, yet Err is "
                      "ETIMEDOUT",
                      how, (m->lo - m->cancel_ret) / 1e3);
    if (now < m->lo)
        return !vfail(t->r, "timer (%s%s) fired %.1f us before its deadline", how,
                      m->parent >= 0 ? ", a child ending at its parent's deadline" : "",
                      (m->lo - now) / 1e3);
    /* Late for certain: a poll found Done still open this long after the
     * deadline (the clock was read before that poll, so the watcher's own
     * delays -- a loaded machine not running it -- cannot count). */
    uint64_t late = m->open_at > m->hi ? m->open_at - m->hi : 0;
    if (late > x3_bound_ns(t->r->threads) + slack)
        return !vfail(t->r,
                      "timer (%s) was still not fired %.1f ms after its deadline (bound %.0f ms, "
                      "plus %.1f ms: the longest the poller's own 20 us sleeps overslept this "
                      "round)",
                      how, late / 1e6, x3_bound_ns(t->r->threads) / 1e6, slack / 1e6);
    return true;
}

static void x3_round(struct vthread *t, struct x3 *s, void *idle) {
    const struct vctx_api *A = s->A;
    struct x3t tm[X3_TIMERS];
    int mode = (int)((t->index + s->R.n) % 3);
    uint64_t slack = 0; /* the poller's own scheduling delay, worst this round */
    /* A far deadline first: the timer thread sleeps for it, and each
     * earlier one below must wake it (missed, it would not fire in time). */
    cpat_ctx *sentinel = NULL;
    made(A->with_timeout(bg_of(A), FAR_NS, &sentinel), &sentinel, "with_timeout");
    uint64_t t0 = cpat_now_ns();
    for (int j = 0; j < X3_TIMERS; j++) {
        struct x3t *m = &tm[j];
        *m = (struct x3t){.parent = -1};
        uint64_t d = t0 + rnd(t, X3_WINDOW_NS);
        cpat_ctx *p = bg_of(A);
        if (j > 0 && tm[j - 1].cancel_at == 0 && rnd(t, 6) == 0) {
            m->parent = j - 1;
            tm[j - 1].has_child = true;
            p = tm[j - 1].c;
        }
        uint64_t before = cpat_now_ns(), after;
        if (rnd(t, 2)) {
            uint64_t tmo = d > before ? d - before : 0;
            made(A->with_timeout(p, tmo, &m->c), &m->c, "with_timeout");
            after = cpat_now_ns();
            m->lo = before + tmo;
            m->hi = after + tmo;
        } else {
            made(A->with_deadline(p, d, &m->c), &m->c, "with_deadline");
            after = cpat_now_ns();
            m->lo = m->hi = d;
        }
        if (m->parent >= 0 && tm[m->parent].lo < m->lo) { /* the parent's comes first */
            m->lo = tm[m->parent].lo;
            m->hi = tm[m->parent].hi;
        }
        m->made = after;
        if (mode == 0 && m->lo > after + 200 * US && rnd(t, 5) == 0)
            m->cancel_at = after + rnd(t, m->lo - after);
    }
    for (int j = 0; j < X3_TIMERS; j++) /* a chained parent is never cancelled by hand */
        if (tm[j].has_child)
            tm[j].cancel_at = 0;
    int left = X3_TIMERS;
    uint64_t end = t0 + X3_WINDOW_NS + x3_bound_ns(t->r->threads) + X_BUDGET_NS;
    while (left > 0 && !vfailed(t->r)) {
        if (cpat_now_ns() > end) {
            vfail(t->r, "%d of %d timers (%s) had not ended %.0f ms after the latest deadline",
                  left, X3_TIMERS, x3_mode[mode], (end - t0 - X3_WINDOW_NS) / 1e6);
            break;
        }
        if (mode == 0) {
            for (int j = 0; j < X3_TIMERS; j++) {
                struct x3t *m = &tm[j];
                if (m->seen)
                    continue;
                if (m->cancel_at && !m->cancel_ret && cpat_now_ns() >= m->cancel_at) {
                    A->cancel(m->c);
                    m->cancel_ret = cpat_now_ns();
                    atomic_fetch_add_explicit(&s->cancelled, 1, memory_order_relaxed);
                }
                uint64_t before = cpat_now_ns();
                if (done_state(A, m->c) != D_CLOSED) {
                    m->open_at = before;
                } else {
                    left--;
                    if (!x3_seen(t, tm, j, cpat_now_ns(), mode, slack))
                        break;
                }
            }
            uint64_t before = cpat_now_ns();
            sleep_ns(20 * US);
            uint64_t over = cpat_now_ns() - before - 20 * US;
            if (over > slack)
                slack = over;
        } else if (mode == 1) {
            struct cpat_select_case cs[X3_TIMERS];
            int map[X3_TIMERS], n = 0;
            for (int j = 0; j < X3_TIMERS; j++)
                if (!tm[j].seen) {
                    cs[n] = (struct cpat_select_case){cpat_ctx_done(tm[j].c), CPAT_RECV, NULL};
                    map[n++] = j;
                }
            size_t i = 0;
            int e = A->ops->chan->select(cs, (size_t)n, end, &i);
            uint64_t now = cpat_now_ns();
            if (e == ETIMEDOUT)
                continue;
            if (e != EPIPE || i >= (size_t)n) {
                vfail(t->r, "select over %d Done channels returned %d, case %zu; want EPIPE", n, e,
                      i);
                break;
            }
            left--;
            if (!x3_seen(t, tm, map[i], now, mode, 0))
                break;
        } else {
            int x = -1;
            for (int j = 0; j < X3_TIMERS; j++)
                if (!tm[j].seen && (x < 0 || tm[j].lo < tm[x].lo))
                    x = j;
            void *v = NULL;
            int e = A->recv(tm[x].c, idle, &v);
            uint64_t now = cpat_now_ns();
            if (e != ETIMEDOUT) {
                vfail(t->r,
                      "a ctx-aware recv on a channel nobody sends to returned %d, not "
                      "ETIMEDOUT",
                      e);
                break;
            }
            left--;
            if (!x3_seen(t, tm, x, now, mode, 0))
                break;
        }
        vtick(t);
    }
    /* Every end stays as it was seen: a cancel first stays ECANCELED past
     * its deadline, a deadline stays ETIMEDOUT after a later cancel. */
    for (int j = 0; j < X3_TIMERS && !vfailed(t->r); j++) {
        if (rnd(t, 4) == 0)
            A->cancel(tm[j].c);
        int e = cpat_ctx_err(tm[j].c);
        if (e != tm[j].err)
            vfail(t->r, "a timer's Err changed from %d to %d after it ended", tm[j].err, e);
        uint64_t dl = 0; /* looked at last: how a timer fires is the first question */
        if (!cpat_ctx_deadline(tm[j].c, &dl) || dl < tm[j].lo || dl > tm[j].hi)
            vfail(t->r,
                  "cpat_ctx_deadline says %" PRId64 " ns after the with_* call returned; asked "
                  "for %" PRId64 " to %" PRId64,
                  (int64_t)(dl - tm[j].made), (int64_t)(tm[j].lo - tm[j].made),
                  (int64_t)(tm[j].hi - tm[j].made));
        if (tm[j].err == ETIMEDOUT) {
            atomic_fetch_add_explicit(&s->fired, 1, memory_order_relaxed);
            atomic_max(&s->worst_late, tm[j].seen > tm[j].hi ? tm[j].seen - tm[j].hi : 0);
            atomic_max(&s->worst_certain, tm[j].open_at > tm[j].hi ? tm[j].open_at - tm[j].hi : 0);
        }
    }
    for (int j = X3_TIMERS - 1; j >= 0; j--)
        A->release(tm[j].c);
    A->release(sentinel);
    atomic_max(&s->worst_slack, slack);
}

static void x3_thread(struct vthread *t) {
    struct x3 *s = t->arg;
    void *idle = NULL;
    int e = s->A->ops->chan->make(&idle, 0);
    if (e)
        cpat_die("make", e);
    while (round_next(t, &s->R)) {
        if (t->index == 0)
            x3_past(t, s);
        round_sync(&s->R);
        if (!vfailed(t->r))
            x3_round(t, s, idle);
        round_sync(&s->R);
    }
    s->A->ops->chan->destroy(idle);
}

static int x3_run(const struct vrun *r) {
    struct x3 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    rounds_init(&s->R, r->threads);
    vthreads_run(r, r->threads, x3_thread, s);
    pthread_barrier_destroy(&s->R.b);
    vnote(r,
          "%ld rounds: %ld timers fired, none early, %ld cancelled first; a poll found one "
          "open %.2f ms past its deadline (bound %.0f ms + the poller's oversleep, at most %.2f "
          "ms); the latest seen ended %.2f ms past it",
          s->R.n, atomic_load(&s->fired), atomic_load(&s->cancelled),
          atomic_load(&s->worst_certain) / 1e6, x3_bound_ns(r->threads) / 1e6,
          atomic_load(&s->worst_slack) / 1e6, atomic_load(&s->worst_late) / 1e6);
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X4: children of a cancelled parent; detaching ---------------------
 *
 * Rounds: thread 0 cancels a parent P (cancel_cause with the round's cause,
 * or P's own timeout fires) at a random moment while the other threads
 * make children of every kind under P and under a value over P.  A child
 * made after its maker saw P's Err set must start cancelled: Done closed,
 * P's Err and cause, when with_* returns (a without_cancel child: never
 * cancelled).  Once the round is over, every child -- made before, during
 * or after the cancel -- must be cancelled with P's Err and cause.
 * Then thread 0 alone makes and cancels 10^5 children of every kind under
 * one long-lived parent: cpat_ctx_live() must stay at its baseline
 * throughout (a cancelled, released child must not be held by its parent's
 * set), and cancelling the parent afterwards must cost no more CPU than a
 * hundredth of the loop (it must not walk 10^5 stale entries). */

#define X4_DETACH 100000
#define X4_KIDS   64

struct x4 {
    const struct vctx_api *A;
    struct rounds R;
    cpat_ctx *P, *V;
    int cause; /* the round's */
    _Atomic long children, started_cancelled;
    uint64_t loop_cpu, cancel_cpu;
    long base, peak;
};

static const char *const x4_kind[] = {"with_cancel", "with_deadline", "with_timeout", "with_value",
                                      "without_cancel"};

static cpat_ctx *x4_child(const struct vctx_api *A, cpat_ctx *p, int kind) {
    cpat_ctx *c = NULL;
    int e;
    switch (kind) {
    case 0:
        e = A->with_cancel(p, &c);
        break;
    case 1:
        e = A->with_deadline(p, cpat_now_ns() + FAR_NS, &c);
        break;
    case 2:
        e = A->with_timeout(p, FAR_NS, &c);
        break;
    case 3:
        e = A->with_value(p, &keys[1], &keys[1], &c);
        break;
    default:
        e = A->without_cancel(p, &c);
    }
    return made(e, &c, x4_kind[kind]);
}

static bool x4_is_cancelled_like(struct vthread *t, const struct vctx_api *A, cpat_ctx *c, int kind,
                                 int err, int cause, const char *when) {
    int st = done_state(A, c), e = cpat_ctx_err(c), cs = cpat_ctx_cause(c);
    if (kind == 4) {
        if (st != D_NONE || e != 0)
            return !vfail(t->r,
                          "a without_cancel child of a cancelled parent (%s): Done %s, Err %d",
                          when, d_name[st], e);
        return true;
    }
    if (st != D_CLOSED || e != err || cs != cause)
        return !vfail(t->r,
                      "a %s child of a parent cancelled with Err %d, cause %d (%s): Done %s, Err "
                      "%d, cause %d",
                      x4_kind[kind], err, cause, when, d_name[st], e, cs);
    return true;
}

static void x4_maker(struct vthread *t, struct x4 *s) {
    const struct vctx_api *A = s->A;
    cpat_ctx *kid[X4_KIDS];
    int kind[X4_KIDS], n = 0, after = 0;
    uint64_t end = cpat_now_ns() + X_BUDGET_NS;
    while (n < X4_KIDS && after < 4 && !vfailed(t->r)) {
        int pe = cpat_ctx_err(s->P);
        int pc = pe ? cpat_ctx_cause(s->P) : 0;
        kind[n] = (int)rnd(t, 5);
        kid[n] = x4_child(A, rnd(t, 3) ? s->P : s->V, kind[n]);
        if (pe) {
            after++;
            atomic_fetch_add_explicit(&s->started_cancelled, 1, memory_order_relaxed);
            x4_is_cancelled_like(t, A, kid[n], kind[n], pe, pc,
                                 "made after its parent's Err was seen set: it must start "
                                 "cancelled");
        }
        n++;
        vtick(t);
        if (rnd(t, 2))
            pause_some(t, 20);
        if (n == X4_KIDS && !pe && cpat_now_ns() < end) { /* keep the last slots for after */
            A->release(kid[--n]);
            sleep_ns(10 * US);
        }
    }
    round_sync(&s->R); /* thread 0's cancel has returned, or P's timer has fired */
    int pe = cpat_ctx_err(s->P), pc = cpat_ctx_cause(s->P);
    uint64_t end2 = cpat_now_ns() + X_BUDGET_NS;
    for (int i = 0; i < n; i++) {
        /* The timer thread may still be walking P's children: give it time. */
        if (s->cause == ETIMEDOUT && kind[i] != 4)
            while (done_state(A, kid[i]) != D_CLOSED && cpat_now_ns() < end2)
                sleep_ns(20 * US);
        if (!vfailed(t->r))
            x4_is_cancelled_like(t, A, kid[i], kind[i], pe, pc,
                                 s->cause == ETIMEDOUT ? "once the parent's timer had fired"
                                                       : "once the cancel had returned");
        A->release(kid[i]);
    }
    atomic_fetch_add_explicit(&s->children, n, memory_order_relaxed);
}

/* The 10^5 children, on thread 0 with the others gone. */
static void x4_detach(struct vthread *t, struct x4 *s) {
    const struct vctx_api *A = s->A;
    long base = live_settled(0); /* nothing of ours is alive; the timer may hold one a moment */
    cpat_ctx *P = made(A->with_cancel(bg_of(A), &P), &P, "with_cancel");
    cpat_ctx *V = made(A->with_value(P, &keys[2], &keys[2], &V), &V, "with_value");
    long peak = 0;
    uint64_t c0 = cpu_ns();
    for (int i = 0; i < X4_DETACH && !vfailed(t->r); i++) {
        cpat_ctx *c, *g;
        switch (i % 5) {
        case 0: /* cancel, then release */
            c = x4_child(A, P, 0);
            A->cancel(c);
            A->release(c);
            break;
        case 1: /* a timer's child, released: also leaves the timer heap */
            c = x4_child(A, P, 2);
            A->release(c);
            break;
        case 2: /* under the value: its set is P's */
            c = x4_child(A, V, rnd(t, 2) ? 0 : 1);
            A->cancel_cause(c, 99);
            A->release(c);
            break;
        case 3: /* a child with a child: releasing the middle one cancels both */
            c = x4_child(A, P, 0);
            g = x4_child(A, c, 0);
            A->release(c);
            if (cpat_ctx_err(g) != ECANCELED)
                vfail(t->r, "the child of a released context has Err %d", cpat_ctx_err(g));
            A->release(g);
            break;
        default: /* a value child and its cancellable child */
            c = x4_child(A, P, 3);
            g = x4_child(A, c, 0);
            A->release(g);
            A->release(c);
        }
        if (i % 1000 == 999) {
            vtick(t);
            long grew = cpat_ctx_live() - base - 2;
            if (grew > 0)
                grew = live_settled(base + 2) - base - 2;
            if (grew > peak)
                peak = grew;
            if (grew > 0) {
                vfail(t->r,
                      "after %d children were cancelled and released under one live parent, "
                      "%ld more contexts are alive than before them: the parent keeps them",
                      i + 1, grew);
                break;
            }
        }
    }
    uint64_t loop = cpu_ns() - c0;
    cpat_ctx *kid[10];
    for (int i = 0; i < 10; i++)
        kid[i] = x4_child(A, i % 2 ? V : P, 0);
    uint64_t c1 = cpu_ns();
    A->cancel(P);
    uint64_t cancel = cpu_ns() - c1;
    for (int i = 0; i < 10; i++) {
        if (!vfailed(t->r))
            x4_is_cancelled_like(t, A, kid[i], 0, ECANCELED, ECANCELED,
                                 "a live child when its long-lived parent was cancelled");
        A->release(kid[i]);
    }
    uint64_t bound = loop / 100 > MS ? loop / 100 : MS;
    if (!vfailed(t->r) && cancel > bound)
        vfail(t->r,
              "cancelling a parent with 10 live children, after %d children came and went "
              "under it, took %.2f ms of CPU (the %d children took %.1f ms; bound %.2f ms): it "
              "walked a set that grew",
              X4_DETACH, cancel / 1e6, X4_DETACH, loop / 1e6, bound / 1e6);
    A->release(V);
    A->release(P);
    long after = live_settled(base);
    if (!vfailed(t->r) && after != base)
        vfail(t->r, "%ld contexts alive before the %d children, %ld after all were released", base,
              X4_DETACH, after);
    s->loop_cpu = loop;
    s->cancel_cpu = cancel;
    s->base = base;
    s->peak = peak;
}

static void x4_thread(struct vthread *t) {
    struct x4 *s = t->arg;
    const struct vctx_api *A = s->A;
    while (round_next(t, &s->R)) {
        if (t->index == 0) {
            bool timed = rnd(t, 3) == 0;
            s->cause = timed ? ETIMEDOUT : 5000 + (int)s->R.n;
            if (timed)
                made(A->with_timeout(bg_of(A), rnd(t, 300 * US), &s->P), &s->P, "with_timeout");
            else
                made(A->with_cancel(bg_of(A), &s->P), &s->P, "with_cancel");
            made(A->with_value(s->P, &keys[0], &keys[0], &s->V), &s->V, "with_value");
        }
        round_sync(&s->R);
        if (t->index == 0) {
            pause_some(t, 200);
            if (s->cause != ETIMEDOUT)
                A->cancel_cause(s->P, s->cause);
            else /* wait for the timer: the makers must see it */
                while (!cpat_ctx_err(s->P) && !vfailed(t->r))
                    sleep_ns(20 * US);
            round_sync(&s->R);
            int e = cpat_ctx_err(s->P), cs = cpat_ctx_cause(s->P);
            int want = s->cause == ETIMEDOUT ? ETIMEDOUT : ECANCELED;
            if (e != want || cs != s->cause)
                vfail(t->r, "the parent itself has Err %d, cause %d; want %d, %d", e, cs, want,
                      s->cause);
        } else {
            x4_maker(t, s);
        }
        round_sync(&s->R);
        if (t->index == 0) {
            A->release(s->V);
            A->release(s->P);
        }
    }
    if (t->index == 0 && !vfailed(t->r))
        x4_detach(t, s);
}

static int x4_run(const struct vrun *r) {
    if (r->threads < 2)
        return VSKIP;
    struct x4 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    rounds_init(&s->R, r->threads);
    vthreads_run(r, r->threads, x4_thread, s);
    pthread_barrier_destroy(&s->R.b);
    vnote(r,
          "%ld rounds, %ld children (%ld made under a cancelled parent); %d children under one "
          "parent: live +%ld at most, loop %.0f ms CPU, parent's cancel %.1f us CPU",
          s->R.n, atomic_load(&s->children), atomic_load(&s->started_cancelled), X4_DETACH, s->peak,
          s->loop_cpu / 1e6, s->cancel_cpu / 1e3);
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X5: concurrent, interlocked cancels never deadlock -----------------
 *
 * Each round thread 0 grows a 100-node tree (with_cancel, with_value, and
 * deadlines 0-2 ms ahead, so the timer thread cancels nodes too), then
 * every thread at once cancels random nodes, makes children under random
 * nodes (and releases them: a release locks the parent while the parent's
 * cancel may be locking the child), reads Err, cause and Done, and
 * registers and stops after_funcs; one thread cancels the root somewhere
 * in its run.  A deadlock stops the progress counter: the watchdog.
 * Afterwards every node and every child is cancelled. */

#define X5_NODES 100
#define X5_OWN   32

struct x5 {
    const struct vctx_api *A;
    struct rounds R;
    struct tree T;
    int root_killer;
    _Atomic long ops, afters_ran;
};

static void x5_after(void *arg) {
    struct x5 *s = arg;
    atomic_fetch_add_explicit(&s->afters_ran, 1, memory_order_relaxed);
}

static cpat_ctx *x5_any(struct vthread *t, struct x5 *s, cpat_ctx **own, int n) {
    if (n && rnd(t, 4) == 0)
        return own[rnd(t, (uint64_t)n)];
    return s->T.n[rnd(t, (uint64_t)s->T.len)].c;
}

static void x5_work(struct vthread *t, struct x5 *s) {
    const struct vctx_api *A = s->A;
    cpat_ctx *own[X5_OWN];
    struct cpat_ctx_after *aft[X5_OWN];
    int n = 0, na = 0;
    int ops = 100 + (int)rnd(t, 300), kill_at = (int)rnd(t, (uint64_t)ops);
    for (int k = 0; k < ops && !vfailed(t->r); k++) {
        if (t->index == s->root_killer && k == kill_at)
            A->cancel(s->T.n[0].c);
        switch (rnd(t, 9)) {
        case 0:
        case 1: {
            cpat_ctx *c = x5_any(t, s, own, n);
            if (rnd(t, 2))
                A->cancel(c);
            else
                A->cancel_cause(c, 55);
            break;
        }
        case 2:
        case 3: {
            if (n == X5_OWN) {
                int i = (int)rnd(t, X5_OWN);
                A->release(own[i]);
                own[i] = own[--n];
            }
            cpat_ctx *p = x5_any(t, s, own, n), *c = NULL;
            int kind = (int)rnd(t, 4), e;
            if (kind == 0)
                e = A->with_cancel(p, &c);
            else if (kind == 1)
                e = A->with_value(p, &keys[3], &keys[3], &c);
            else if (kind == 2)
                e = A->with_timeout(p, rnd(t, 500 * US), &c);
            else
                e = A->with_deadline(p, cpat_now_ns() + FAR_NS, &c);
            own[n++] = made(e, &c, "with_*");
            break;
        }
        case 4:
            if (n) {
                int i = (int)rnd(t, (uint64_t)n);
                A->release(own[i]);
                own[i] = own[--n];
            }
            break;
        case 5: {
            cpat_ctx *c = x5_any(t, s, own, n);
            int cs = cpat_ctx_cause(c), st = done_state(A, c), e = cpat_ctx_err(c);
            if ((cs && !e) || (st == D_CLOSED && !e) || st == D_VALUE)
                vfail(t->r, "a node read cause %d, then Done %s, then Err %d", cs, d_name[st], e);
            break;
        }
        case 6:
        case 7:
            if (na < X5_OWN) {
                int e = A->after_func(x5_any(t, s, own, n), x5_after, s, &aft[na]);
                if (e)
                    cpat_die("after_func", e);
                na++;
            }
            break;
        default:
            if (na) {
                int i = (int)rnd(t, (uint64_t)na);
                A->after_stop(aft[i]);
                aft[i] = aft[--na];
            }
        }
        if (rnd(t, 8) == 0)
            vnoise(t);
        vtick(t);
    }
    for (int i = 0; i < na; i++)
        A->after_stop(aft[i]);
    atomic_fetch_add_explicit(&s->ops, ops, memory_order_relaxed);
    round_sync(&s->R); /* every cancel has returned, the root's too */
    for (int i = t->index; i < s->T.len && !vfailed(t->r); i += t->r->threads) {
        int st = done_state(A, s->T.n[i].c), e = cpat_ctx_err(s->T.n[i].c);
        if (st != D_CLOSED || !e) {
            char d[96], later[64];
            vfail(t->r,
                  "after the root's cancel() and every thread's cancels returned, tree %s has "
                  "Done %s, Err %d; %s (deadlines of the tree fire on the timer thread meanwhile)",
                  describe(&s->T, i, d, sizeof d), d_name[st], e,
                  closes_later(A, s->T.n[i].c, later, sizeof later));
        }
    }
    for (int i = 0; i < n; i++) {
        int st = done_state(A, own[i]), e = cpat_ctx_err(own[i]);
        char later[64];
        if ((st != D_CLOSED || !e) && !vfailed(t->r))
            vfail(t->r,
                  "after the root's cancel() returned, a child made under the tree has Done %s, "
                  "Err %d; %s",
                  d_name[st], e, closes_later(A, own[i], later, sizeof later));
        A->release(own[i]);
    }
}

static void x5_thread(struct vthread *t) {
    struct x5 *s = t->arg;
    static const int w[N_KINDS] = {45, 15, 40, 0};
    while (round_next(t, &s->R)) {
        if (t->index == 0) {
            s->T = (struct tree){0};
            tree_add(s->A, &s->T, -1, N_CANCEL, 0, 0);
            while (s->T.len < X5_NODES) {
                int parent = rnd(t, 3) ? (int)rnd(t, (uint64_t)s->T.len) : s->T.len - 1;
                /* deadlines that fire during the round: the timer thread cancels too */
                tree_add(s->A, &s->T, parent, pick_kind(t, w), (int)rnd(t, NKEYS),
                         cpat_now_ns() + 1 + rnd(t, 2 * MS));
            }
            s->root_killer = (int)rnd(t, (uint64_t)t->r->threads);
        }
        round_sync(&s->R);
        x5_work(t, s);
        round_sync(&s->R);
        if (t->index == 0)
            tree_release(s->A, &s->T, t);
    }
}

static int x5_run(const struct vrun *r) {
    struct x5 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    rounds_init(&s->R, r->threads);
    vthreads_run(r, r->threads, x5_thread, s);
    pthread_barrier_destroy(&s->R.b);
    vnote(r, "%ld rounds of a %d-node tree, %ld operations, %ld after_funcs ran", s->R.n, X5_NODES,
          atomic_load(&s->ops), atomic_load(&s->afters_ran));
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X6: ctx-aware operations: cancelled, never both -------------------
 *
 * Each round senders and receivers move numbered values through a channel
 * (capacity 0, 1 and 8 in turn) with ctx-aware send/recv/select, each on
 * the round's context or on a child of its own, while thread 0 cancels the
 * context at a random moment (or its timeout ends it).  Every operation
 * returns 0 or the context's Err, never ETIMEDOUT before the deadline.
 * When the threads are done thread 0 drains what is left buffered and
 * balances: a value whose send returned 0 was received exactly once; a
 * value whose send returned Err was never received.  Values are plain
 * structs written by the sender and read by the receiver, so that TSan
 * sees a missing happens-before. */

#define X6_MAXV 8192
static const size_t x6_caps[] = {0, 1, 8};

struct x6val {
    int sender, seq;
    long round;
    uint64_t check;
};

static uint64_t x6_check(int sender, int seq, long round) {
    return ((uint64_t)seq + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)sender << 48 ^ (uint64_t)round;
}

struct x6 {
    const struct vctx_api *A;
    struct rounds R;
    int nth, nsend;
    void *ch;
    size_t cap;
    cpat_ctx *ctx;
    int want; /* the Err the round ends with */
    uint64_t deadline;
    struct x6val *vals; /* [nsend][X6_MAXV] */
    int *status;        /* [nsend][X6_MAXV]: 0 sent, else the Err returned */
    int *count;         /* per sender: values tried */
    _Atomic unsigned char *got;
    long sent, kept, drained;
};

/* A thread's own context for the round: the round's, or a child of it. */
static cpat_ctx *x6_mine(struct vthread *t, struct x6 *s, int *kind) {
    cpat_ctx *c = NULL;
    *kind = (int)rnd(t, 4);
    if (*kind == 1)
        return made(s->A->with_value(s->ctx, &keys[4], &keys[4], &c), &c, "with_value");
    if (*kind == 2)
        return made(s->A->with_cancel(s->ctx, &c), &c, "with_cancel");
    return s->ctx;
}

static bool x6_result(struct vthread *t, struct x6 *s, cpat_ctx *c, int e, const char *op) {
    if (e == 0)
        return true;
    if (e != s->want) {
        vfail(t->r, "%s on a channel of capacity %zu returned %d; want 0 or %d", op, s->cap, e,
              s->want);
        return false;
    }
    if (cpat_ctx_err(c) != e) {
        vfail(t->r, "%s returned %d while the context's Err is %d", op, e, cpat_ctx_err(c));
        return false;
    }
    if (e == ETIMEDOUT && cpat_now_ns() < s->deadline) {
        vfail(t->r, "%s returned ETIMEDOUT %.1f us before the deadline", op,
              (s->deadline - cpat_now_ns()) / 1e3);
        return false;
    }
    return true;
}

static void x6_sender(struct vthread *t, struct x6 *s, int me) {
    const struct vctx_api *A = s->A;
    int kind;
    cpat_ctx *c = x6_mine(t, s, &kind);
    int seq = 0;
    for (; seq < X6_MAXV && !vfailed(t->r); seq++) {
        struct x6val *v = &s->vals[(size_t)me * X6_MAXV + seq];
        *v = (struct x6val){me, seq, s->R.n, x6_check(me, seq, s->R.n)};
        int e;
        const char *op;
        if (rnd(t, 2)) {
            op = "ctx-aware send";
            e = A->send(c, s->ch, v);
        } else {
            struct cpat_select_case cs[2] = {{NULL, CPAT_RECV, NULL}, {s->ch, CPAT_SEND, v}};
            size_t i = 9;
            op = "ctx-aware select (send)";
            e = A->select(c, cs, 2, &i);
            if ((e == 0 && i != 1) || (e && i != 2)) {
                vfail(t->r, "%s returned %d with case %zu", op, e, i);
                break;
            }
        }
        s->status[(size_t)me * X6_MAXV + seq] = e;
        if (!x6_result(t, s, c, e, op) || e) {
            seq++;
            break;
        }
        vtick(t);
    }
    s->count[me] = seq;
    if (kind >= 1 && kind <= 2)
        A->release(c);
}

static void x6_receiver(struct vthread *t, struct x6 *s) {
    const struct vctx_api *A = s->A;
    int kind;
    cpat_ctx *c = x6_mine(t, s, &kind);
    while (!vfailed(t->r)) {
        void *p = NULL;
        int e;
        const char *op;
        if (rnd(t, 2)) {
            op = "ctx-aware recv";
            e = A->recv(c, s->ch, &p);
        } else {
            struct cpat_select_case cs[2] = {{s->ch, CPAT_RECV, NULL}, {NULL, CPAT_SEND, NULL}};
            size_t i = 9;
            op = "ctx-aware select (recv)";
            e = A->select(c, cs, 2, &i);
            if ((e == 0 && i != 0) || (e && i != 2)) {
                vfail(t->r, "%s returned %d with case %zu", op, e, i);
                break;
            }
            p = cs[0].value;
        }
        if (!x6_result(t, s, c, e, op) || e)
            break;
        const struct x6val *v = p;
        if (!v || v->sender < 0 || v->sender >= s->nsend || v->seq < 0 || v->seq >= X6_MAXV ||
            v->round != s->R.n || v->check != x6_check(v->sender, v->seq, v->round)) {
            vfail(t->r, "%s received %p, not a value sent this round (or not all of it)", op, p);
            break;
        }
        if (atomic_fetch_add_explicit(&s->got[(size_t)v->sender * X6_MAXV + v->seq], 1,
                                      memory_order_relaxed)) {
            vfail(t->r, "value %d of sender %d was received twice", v->seq, v->sender);
            break;
        }
        vtick(t);
    }
    if (kind >= 1 && kind <= 2)
        A->release(c);
}

/* Thread 0, after the round: drain, balance, free. */
static void x6_balance(struct vthread *t, struct x6 *s) {
    void *p;
    while (s->A->ops->chan->tryrecv(s->ch, &p) == 0) {
        const struct x6val *v = p;
        atomic_fetch_add_explicit(&s->got[(size_t)v->sender * X6_MAXV + v->seq], 1,
                                  memory_order_relaxed);
        s->drained++;
    }
    for (int me = 0; me < s->nsend && !vfailed(t->r); me++)
        for (int seq = 0; seq < s->count[me]; seq++) {
            size_t i = (size_t)me * X6_MAXV + seq;
            int got = atomic_load_explicit(&s->got[i], memory_order_relaxed);
            int st = s->status[i];
            if ((st == 0 && got != 1) || (st != 0 && got != 0)) {
                vfail(t->r,
                      "capacity %zu, %s round: value %d of sender %d: its send returned %d, "
                      "and it was received %d times%s",
                      s->cap, s->want == ETIMEDOUT ? "timeout" : "cancel", seq, me, st, got,
                      st == 0 && got == 0 ? " (consumed by a receive that reported the context's "
                                            "end?)"
                                          : "");
                break;
            }
            s->sent += st == 0;
            s->kept += st != 0;
            atomic_store_explicit(&s->got[i], 0, memory_order_relaxed);
        }
    s->A->ops->chan->destroy(s->ch);
    s->A->release(s->ctx);
}

static void x6_thread(struct vthread *t) {
    struct x6 *s = t->arg;
    const struct vctx_api *A = s->A;
    while (round_next(t, &s->R)) {
        if (t->index == 0) {
            s->cap = x6_caps[s->R.n % 3];
            int e = A->ops->chan->make(&s->ch, s->cap);
            if (e)
                cpat_die("make", e);
            if (rnd(t, 3) == 0) {
                uint64_t tmo = 20 * US + rnd(t, 800 * US);
                s->deadline = cpat_now_ns() + tmo;
                made(A->with_timeout(bg_of(A), tmo, &s->ctx), &s->ctx, "with_timeout");
                s->want = ETIMEDOUT;
            } else {
                s->deadline = UINT64_MAX;
                made(A->with_cancel(bg_of(A), &s->ctx), &s->ctx, "with_cancel");
                s->want = ECANCELED;
            }
            memset(s->count, 0, (size_t)s->nsend * sizeof *s->count);
        }
        round_sync(&s->R);
        if (t->index == 0) {
            if (s->want == ECANCELED) {
                if (rnd(t, 2))
                    spin(rnd(t, 4000));
                else
                    sleep_ns(rnd(t, 600 * US));
                A->cancel(s->ctx);
            }
        } else if (t->index <= s->nsend) {
            x6_sender(t, s, t->index - 1);
        } else {
            x6_receiver(t, s);
        }
        round_sync(&s->R);
        if (t->index == 0)
            x6_balance(t, s);
    }
}

static int x6_run(const struct vrun *r) {
    struct x6 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    s->nth = r->threads < 3 ? 3 : r->threads;
    s->nsend = (s->nth - 1) / 2;
    s->vals = xmalloc((size_t)s->nsend * X6_MAXV * sizeof *s->vals);
    s->status = xmalloc((size_t)s->nsend * X6_MAXV * sizeof *s->status);
    s->count = xmalloc((size_t)s->nsend * sizeof *s->count);
    s->got = xmalloc((size_t)s->nsend * X6_MAXV * sizeof *s->got);
    rounds_init(&s->R, s->nth);
    vthreads_run(r, s->nth, x6_thread, s);
    pthread_barrier_destroy(&s->R.b);
    vnote(r,
          "%ld rounds, %d senders, %d receivers: %ld values sent (%ld left buffered at the end), "
          "%ld sends ended by the context",
          s->R.n, s->nsend, s->nth - 1 - s->nsend, s->sent, s->drained, s->kept);
    free(s->vals);
    free(s->status);
    free(s->count);
    free((void *)s->got);
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X7: values ------------------------------------------------------------
 *
 * Trees with many with_value nodes over a few keys (so keys are shadowed),
 * mixed with cancellable and without_cancel nodes: every node must see,
 * for each key, the value of its nearest ancestor (or itself) that set it
 * -- never a sibling's, a descendant's or one from another branch -- and
 * NULL for a key no ancestor set; before and after cancels.  Shared rounds:
 * every thread reads one tree while the others hang value children of their
 * own under its nodes (siblings of one another). */

static const int x7_weights[N_KINDS] = {20, 10, 55, 15};

struct x7 {
    const struct vctx_api *A;
    struct rounds R;
    struct tree shared;
    _Atomic long lookups;
};

static int x7_want(const struct tree *T, int i, int k) {
    for (; i >= 0; i = T->n[i].parent)
        if (T->n[i].kind == N_VALUE && T->n[i].key == k)
            return i;
    return -1;
}

static bool x7_check(struct vthread *t, struct x7 *s, const struct tree *T, const char *when) {
    for (int i = 0; i < T->len; i++) {
        if (!T->n[i].c)
            continue;
        for (int k = 0; k <= NKEYS; k++) {
            int w = k < NKEYS ? x7_want(T, i, k) : -1;
            void *want = w < 0 ? NULL : T->n[w].value;
            void *got = cpat_ctx_value(T->n[i].c, &keys[k]);
            if (got != want) {
                char d[96];
                long from = got ? (long)((uintptr_t)got >> 4) - 1 : -1;
                vfail(t->r,
                      "%s, %s sees %p for key %d; want %p (%s); what it sees is %s%ld's value",
                      when, describe(T, i, d, sizeof d), got, k, want,
                      w < 0 ? "no ancestor sets it" : "its nearest ancestor's",
                      from >= 0 && from < T->len ? "node " : "no node's: ", from);
                return false;
            }
        }
    }
    atomic_fetch_add_explicit(&s->lookups, (long)T->len * (NKEYS + 1), memory_order_relaxed);
    return true;
}

static void x7_own(struct vthread *t, struct x7 *s) {
    struct tree T = {0};
    tree_grow(s->A, &T, t, 2 + (int)rnd(t, 200), x7_weights, (unsigned)rnd(t, 100));
    if (x7_check(t, s, &T, "in a fresh tree")) {
        for (int k = 1 + (int)rnd(t, 3); k > 0; k--) {
            int x = pick_cancellable(t, &T);
            if (x >= 0)
                s->A->cancel(T.n[x].c);
        }
        x7_check(t, s, &T, "after cancels");
    }
    tree_release(s->A, &T, t);
}

static void x7_shared(struct vthread *t, struct x7 *s) {
    const struct vctx_api *A = s->A;
    const struct tree *T = &s->shared;
    cpat_ctx *mine[8];
    int par[8], key[8];
    for (int j = 0; j < 8; j++) {
        par[j] = (int)rnd(t, (uint64_t)T->len);
        key[j] = (int)rnd(t, NKEYS);
        cpat_ctx *c = NULL; /* its value: the address of its own key slot, unique */
        mine[j] = made(A->with_value(T->n[par[j]].c, &keys[key[j]], &key[j], &c), &c, "with_value");
    }
    x7_check(t, s, T, "in a tree other threads hang value children on");
    for (int j = 0; j < 8 && !vfailed(t->r); j++)
        for (int k = 0; k <= NKEYS; k++) {
            int w = k < NKEYS ? x7_want(T, par[j], k) : -1;
            void *want = k == key[j] ? (void *)&key[j] : w < 0 ? NULL : T->n[w].value;
            void *got = cpat_ctx_value(mine[j], &keys[k]);
            if (got != want) {
                vfail(t->r, "a value child of shared node %d sees %p for key %d; want %p", par[j],
                      got, k, want);
                break;
            }
        }
    round_sync(&s->R); /* every thread's children exist: none is seen by the tree */
    x7_check(t, s, T, "with value children of other threads under the tree");
    for (int j = 0; j < 8; j++)
        A->release(mine[j]);
}

static void x7_thread(struct vthread *t) {
    struct x7 *s = t->arg;
    while (round_next(t, &s->R)) {
        bool shared = s->R.n % 4 == 0;
        if (shared && t->index == 0)
            tree_grow(s->A, &s->shared, t, 50 + (int)rnd(t, 150), x7_weights,
                      (unsigned)rnd(t, 100));
        round_sync(&s->R);
        if (shared)
            x7_shared(t, s);
        else
            x7_own(t, s);
        vtick(t);
        round_sync(&s->R);
        if (shared && t->index == 0)
            tree_release(s->A, &s->shared, t);
    }
}

static int x7_run(const struct vrun *r) {
    struct x7 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    rounds_init(&s->R, r->threads);
    vthreads_run(r, r->threads, x7_thread, s);
    pthread_barrier_destroy(&s->R.b);
    vnote(r, "%ld rounds, %ld lookups", s->R.n, atomic_load(&s->lookups));
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X8: after_func -------------------------------------------------------
 *
 * Each round every thread registers X8_PER after_funcs on the round's
 * context (or a value over it), then all start at once: thread 0 cancels
 * the context (or its timeout fires, or both race), the others stop their
 * handles after random pauses.  A function must run only with Done closed
 * and Err set, never twice; a stop() that returned true means it never
 * runs, false means it runs exactly once (at the latest once the cancel
 * has returned, or soon after the timer fired).  Corner cases on thread 0:
 * after_func on an ended context runs at once, on the caller, before it
 * returns; on a context that is never cancelled it never runs. */

#define X8_PER 4

struct x8;
struct x8h {
    struct x8 *s;
    struct cpat_ctx_after *h;
    _Atomic int runs;
    bool stopped;
};

struct x8 {
    const struct vctx_api *A;
    const struct vrun *r;
    struct rounds R;
    cpat_ctx *C, *on;
    bool timed;
    _Atomic int go;
    struct x8h *hs; /* [threads][X8_PER] */
    _Atomic long runs;
    long expected, stopped;
};

static void x8_fn(void *arg) {
    struct x8h *h = arg;
    struct x8 *s = h->s;
    int st = done_state(s->A, s->on), e = cpat_ctx_err(s->on);
    if (st != D_CLOSED || !e)
        vfail(s->r, "an after_func ran with Done %s, Err %d: before its context was cancelled",
              d_name[st], e);
    /* Release: what the function read of the context happens before the
     * round's end, which waits for this count (acquire) and frees it. */
    if (atomic_fetch_add_explicit(&h->runs, 1, memory_order_release))
        vfail(s->r, "an after_func ran twice");
    atomic_fetch_add_explicit(&s->runs, 1, memory_order_relaxed);
}

static _Thread_local int x8_here;
static void x8_count_here(void *arg) {
    (void)arg;
    x8_here++;
}

static void x8_corners(struct vthread *t, struct x8 *s) {
    const struct vctx_api *A = s->A;
    struct cpat_ctx_after *h;
    cpat_ctx *c = made(A->with_cancel(bg_of(A), &c), &c, "with_cancel");
    cpat_ctx *d = made(A->without_cancel(c, &d), &d, "without_cancel");
    A->cancel(c);
    x8_here = 0;
    if (A->after_func(c, x8_count_here, NULL, &h))
        cpat_die("after_func", ENOMEM);
    if (x8_here != 1)
        vfail(t->r,
              "after_func on a cancelled context: the function ran %d times on the caller "
              "before after_func returned; want once",
              x8_here);
    if (A->after_stop(h))
        vfail(t->r, "stop() after the function ran returned true");
    x8_here = 0;
    if (A->after_func(d, x8_count_here, NULL, &h))
        cpat_die("after_func", ENOMEM);
    bool stopped = A->after_stop(h);
    if (x8_here || !stopped)
        vfail(t->r,
              "after_func on a without_cancel child of a cancelled context: ran %d times, "
              "stop() %s; want never, true",
              x8_here, stopped ? "true" : "false");
    if (A->after_func(bg_of(A), x8_count_here, NULL, &h))
        cpat_die("after_func", ENOMEM);
    stopped = A->after_stop(h);
    if (x8_here || !stopped)
        vfail(t->r, "after_func on background: ran %d times, stop() %s; want never, true", x8_here,
              stopped ? "true" : "false");
    A->release(d);
    A->release(c);
}

static void x8_thread(struct vthread *t) {
    struct x8 *s = t->arg;
    const struct vctx_api *A = s->A;
    struct x8h *mine = &s->hs[t->index * X8_PER];
    while (round_next(t, &s->R)) {
        if (t->index == 0) {
            x8_corners(t, s);
            s->timed = rnd(t, 3) == 0;
            if (s->timed)
                made(A->with_timeout(bg_of(A), rnd(t, 200 * US), &s->C), &s->C, "with_timeout");
            else
                made(A->with_cancel(bg_of(A), &s->C), &s->C, "with_cancel");
            s->on = s->C;
            if (rnd(t, 2))
                made(A->with_value(s->C, &keys[5], &keys[5], &s->on), &s->on, "with_value");
            atomic_store(&s->go, 0);
        }
        round_sync(&s->R);
        for (int i = 0; i < X8_PER; i++) {
            mine[i].s = s;
            mine[i].h = NULL;
            mine[i].stopped = false;
            atomic_store_explicit(&mine[i].runs, 0, memory_order_relaxed);
            int e = A->after_func(s->on, x8_fn, &mine[i], &mine[i].h);
            if (e)
                cpat_die("after_func", e);
        }
        if (t->index == 0) {
            atomic_store_explicit(&s->go, 1, memory_order_release);
            spin(rnd(t, 3000));
            if (!s->timed || rnd(t, 2))
                A->cancel(s->C);
        } else {
            for (int k = 0; !atomic_load_explicit(&s->go, memory_order_acquire); k++)
                if (k % 64 == 63)
                    sched_yield(); /* more threads than cores: let thread 0 run */
                else
                    cpat_cpu_relax();
        }
        for (int i = 0; i < X8_PER; i++) {
            spin(rnd(t, 3000));
            mine[i].stopped = A->after_stop(mine[i].h);
        }
        round_sync(&s->R);
        /* Each thread its own handles: stop true, never ran; false, ran
         * once -- or soon will, if the timer thread is running them. */
        uint64_t end = cpat_now_ns() + X_BUDGET_NS;
        for (int i = 0; i < X8_PER && !vfailed(t->r); i++) {
            int runs;
            while ((runs = atomic_load_explicit(&mine[i].runs, memory_order_acquire)) == 0 &&
                   !mine[i].stopped && cpat_now_ns() < end)
                sleep_ns(20 * US);
            if (runs != !mine[i].stopped)
                vfail(t->r, "stop() returned %s and the function ran %d times%s",
                      mine[i].stopped ? "true" : "false", runs,
                      mine[i].stopped ? "" : " (waited a second for it)");
        }
        round_sync(&s->R);
        if (t->index == 0) {
            for (int i = 0; i < t->r->threads * X8_PER; i++) {
                s->expected += !s->hs[i].stopped;
                s->stopped += s->hs[i].stopped;
            }
            if (s->on != s->C)
                A->release(s->on);
            A->release(s->C);
        }
    }
}

static int x8_run(const struct vrun *r) {
    struct x8 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    s->r = r;
    s->hs = xmalloc((size_t)r->threads * X8_PER * sizeof *s->hs);
    rounds_init(&s->R, r->threads);
    vthreads_run(r, r->threads, x8_thread, s);
    pthread_barrier_destroy(&s->R.b);
    /* Nothing runs late: after a pause, the total is still what stop() said. */
    sleep_ns(5 * MS);
    long runs = atomic_load(&s->runs);
    if (!vfailed(r) && runs != s->expected)
        vfail(r, "after_funcs ran %ld times in all; stop() said %ld would", runs, s->expected);
    vnote(r, "%ld rounds: %ld after_funcs ran, %ld stopped", s->R.n, runs, s->stopped);
    free(s->hs);
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- X9: no leak, no growth ------------------------------------------------
 *
 * One thread makes X9_N contexts with a timeout far ahead and releases each
 * at once (the timer heap's hot path), and every 16th time a small tree of
 * every kind with an after_func, released in a random order.
 * cpat_ctx_live() must be back at its baseline at every look, and (release
 * build) the resident set must not grow by more than X9_RSS_KB between a
 * warm-up and the end: /proc/self/statm before and after, in the note.
 * Under ASan the check's process ends with LSan's leak check. */

#define X9_N      (1000000 / X_SLOW)
#define X9_RSS_KB 8192

static long rss_kb(void) {
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    fclose(f);
    return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

struct x9 {
    const struct vctx_api *A;
    long base, rss0, rss1, n;
    double secs;
};

static void x9_noop(void *arg) {
    (void)arg;
}

static void x9_tree(struct vthread *t, const struct vctx_api *A) {
    cpat_ctx *c[5];
    struct cpat_ctx_after *h;
    made(A->with_cancel(bg_of(A), &c[0]), &c[0], "with_cancel");
    made(A->with_value(c[0], &keys[0], &keys[0], &c[1]), &c[1], "with_value");
    made(A->without_cancel(c[1], &c[2]), &c[2], "without_cancel");
    made(A->with_deadline(c[2], cpat_now_ns() + FAR_NS, &c[3]), &c[3], "with_deadline");
    made(A->with_cancel(c[3], &c[4]), &c[4], "with_cancel");
    if (A->after_func(c[4], x9_noop, NULL, &h))
        cpat_die("after_func", ENOMEM);
    bool early = rnd(t, 2);
    if (early && !A->after_stop(h))
        vfail(t->r, "stop() of an after_func on a live context returned false");
    int first = (int)rnd(t, 5);
    for (int i = 0; i < 5; i++)
        A->release(c[(first + i) % 5]);
    /* The handle is given back by its stop(), whether the function ran
     * (the releases cancelled c[4]) or not: the run alone frees nothing. */
    if (!early && A->after_stop(h))
        vfail(t->r, "stop() after the context was released returned true: the function never ran");
}

static void x9_thread(struct vthread *t) {
    struct x9 *s = t->arg;
    const struct vctx_api *A = s->A;
    cpat_ctx *bg = bg_of(A);
    s->base = live_settled(0);
    for (long i = 0; i < X9_N + 10000 && !vfailed(t->r); i++) {
        if (i == 10000) { /* warmed up: the allocator has its working set */
            s->rss0 = rss_kb();
            s->secs = cpat_now_ns() / 1e9;
        }
        cpat_ctx *c = NULL;
        made(A->with_timeout(bg, FAR_NS, &c), &c, "with_timeout");
        A->release(c);
        if (i % 16 == 0)
            x9_tree(t, A);
        if (i % 4096 == 4095) {
            vtick(t);
            long n = cpat_ctx_live();
            if (n > s->base && (n = live_settled(s->base)) > s->base)
                vfail(t->r, "after %ld contexts were made and released, %ld are alive; %ld before",
                      i + 1, n, s->base);
        }
    }
    s->secs = cpat_now_ns() / 1e9 - s->secs;
    s->rss1 = rss_kb();
    s->n = X9_N;
}

static int x9_run(const struct vrun *r) {
    struct x9 *s = xmalloc(sizeof *s);
    s->A = api_of(r);
    vthreads_run(r, 1, x9_thread, s);
    long live = live_settled(s->base);
    bool sanitized = CPAT_TSAN || X_ASAN;
    if (!vfailed(r) && live != s->base)
        vfail(r, "%ld contexts alive before, %ld after %ld were made and released", s->base, live,
              s->n);
    else if (!vfailed(r) && !sanitized && s->rss1 - s->rss0 > X9_RSS_KB)
        vfail(r,
              "resident set grew from %ld kB to %ld kB over %ld with_timeout + release (bound "
              "+%d kB)",
              s->rss0, s->rss1, s->n, X9_RSS_KB);
    vnote(r,
          "%ld with_timeout+release (and %ld small trees) in %.2f s: RSS %ld kB before, %ld kB "
          "after%s; live %ld before and after",
          s->n, s->n / 16, s->secs, s->rss0, s->rss1,
          sanitized ? " (not judged: sanitizer allocator; LSan at exit)" : "", s->base);
    free(s);
    return vfailed(r) ? VFAIL : VPASS;
}

/* ---- the pattern -------------------------------------------------------- */

static const struct vcheck context_checks[] = {
    {"X1", "after cancel() returns, Done of the context and every descendant is closed", x1_run,
     false, false},
    {"X2", "Err is 0 before Done is closed and stable after; Done closed implies Err set", x2_run,
     false, false},
    {"X3", "deadline: ETIMEDOUT, never early, within the stated bound; cancel first: ECANCELED",
     x3_run, false, false},
    {"X4", "a child of a cancelled parent starts cancelled; a cancelled child detaches", x4_run,
     false, false},
    {"X5", "concurrent and interlocked cancels of a 100-node tree never deadlock", x5_run, false,
     false},
    {"X6", "a ctx-aware op returns Err after cancel; a value is never both consumed and reported",
     x6_run, false, false},
    {"X7", "a value is seen by every descendant and by no sibling; the nearest wins", x7_run, false,
     false},
    {"X8", "after_func runs exactly once after cancel, never when stop() won", x8_run, false,
     false},
    {"X9", "no leak and no growth: contexts made and released in a loop keep memory flat", x9_run,
     true, false},
};

/* The variants: the library's calls on each family of the registry. */
static struct vctx_api context_real[16];

static size_t context_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_context *mu = vmutants_context; mu->api && n < max; mu++)
            out[n++] = (struct vimpl){mu->api->name, mu->api, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_context_ops *const *o = cpat_context_registry;
         *o && n < max && n < sizeof context_real / sizeof context_real[0]; o++) {
        if (strcmp((*o)->kind, "null") == 0)
            continue;
        context_real[n] = (struct vctx_api){.name = (*o)->name,
                                            .ops = *o,
                                            .with_cancel = cpat_ctx_with_cancel,
                                            .with_deadline = cpat_ctx_with_deadline,
                                            .with_timeout = cpat_ctx_with_timeout,
                                            .with_value = cpat_ctx_with_value,
                                            .without_cancel = cpat_ctx_without_cancel,
                                            .cancel = cpat_ctx_cancel,
                                            .cancel_cause = cpat_ctx_cancel_cause,
                                            .release = cpat_ctx_release,
                                            .after_func = cpat_ctx_after_func,
                                            .after_stop = cpat_ctx_after_stop,
                                            .send = cpat_ctx_send,
                                            .recv = cpat_ctx_recv,
                                            .select = cpat_ctx_select};
        out[n] = (struct vimpl){(*o)->name, &context_real[n], false, false};
        n++;
    }
    return n;
}

const struct vpattern vpattern_context = {
    "context", context_checks, sizeof context_checks / sizeof context_checks[0], context_impls};
