/* Contexts: the tree, cancellation, values, after_func and the ctx-aware
 * operations.  See context.h (beside this file) for the fields, the lock
 * and the references; cpat/context.h for the interface. */
#include "context/context.h"

#include <errno.h>
#include <sched.h>
#include <stdalign.h>
#include <stdlib.h>

#include "chan/hchan.h"
#include "common/clock.h"
#include "common/spin.h"
#include "common/stop.h"
#include "cpat/error.h"
#include "cpat/mutex.h"
#include "cpat/waitgroup.h"

/* Contexts allocated and not yet freed, striped by CPU: one process-wide
 * counter was a line every with_timeout and free wrote, from every
 * thread.  A context may be counted in on one CPU and out on another:
 * only the sum means anything.  Relaxed: a count, read for leak checks
 * after the threads that made and freed the contexts are done. */
#define LIVE_STRIPES 64
static struct { alignas(64) _Atomic long n; } live[LIVE_STRIPES];

static void live_add(long d) {
    int cpu = sched_getcpu();
    atomic_fetch_add_explicit(&live[(unsigned)(cpu < 0 ? 0 : cpu) % LIVE_STRIPES].n, d,
                              memory_order_relaxed);
}

long cpat_ctx_live(void) {
    long sum = 0;
    for (int i = 0; i < LIVE_STRIPES; i++)
        sum += atomic_load_explicit(&live[i].n, memory_order_relaxed);
    return sum;
}

/* ---- the lock of a CANCEL context ---- */

void cpat_ctx_lock(struct cpat_ctx *c) {
    switch (c->ops->lock_kind) {
    case CTX_LOCK_PTHREAD:
        pthread_mutex_lock(&c->lock.pm);
        break;
    case CTX_LOCK_FUTEX:
        if (cpat_mutex_futex_trylock(&c->lock.fm))
            cpat_hchan_futex_lock_slow(&c->lock.fm); /* a short lock, as a channel's */
        break;
    default: { /* spin: test-and-test-and-set with backoff, never the kernel */
        struct cpat_backoff b = CPAT_BACKOFF_INIT(64);
        while (cpat_mutex_futex_trylock(&c->lock.fm))
            while (atomic_load_explicit(&c->lock.fm.state, memory_order_relaxed))
                cpat_backoff_wait(&b);
    }
    }
}

void cpat_ctx_unlock(struct cpat_ctx *c) {
    if (c->ops->lock_kind == CTX_LOCK_PTHREAD)
        pthread_mutex_unlock(&c->lock.pm);
    else if (c->ops->lock_kind == CTX_LOCK_FUTEX)
        cpat_mutex_futex_unlock(&c->lock.fm);
    else /* release pairs with the acquire CAS of the next locker */
        atomic_store_explicit(&c->lock.fm.state, 0, memory_order_release);
}

/* ---- families ---- */

#define CPAT_CONTEXT_FAMILY(V, lock_kind_, about_)                                                 \
    const struct cpat_context_ops cpat_context_##V##_ops = {                                       \
        .name = #V,                                                                                \
        .kind = "variant",                                                                         \
        .about = (about_),                                                                         \
        .flags = CPAT_CHAN_FULL,                                                                   \
        .chan = &cpat_chan_##V##_ops,                                                              \
        .lock_kind = (lock_kind_),                                                                 \
    };                                                                                             \
    static struct cpat_ctx background_##V = {                                                      \
        .type = CTX_BACKGROUND, .ops = &cpat_context_##V##_ops, .deadline_ns = UINT64_MAX};

CPAT_CONTEXT_FAMILY(pthread, CTX_LOCK_PTHREAD,
                    "pthread channel for Done, pthread mutex per context; one timer thread")
CPAT_CONTEXT_FAMILY(atomic, CTX_LOCK_SPIN,
                    "atomic channel for Done, spin lock per context; one timer thread")
CPAT_CONTEXT_FAMILY(futex, CTX_LOCK_FUTEX,
                    "futex channel for Done, futex lock per context; one timer thread")

cpat_ctx *cpat_ctx_background(const struct cpat_context_ops *ops) {
    if (ops == &cpat_context_pthread_ops)
        return &background_pthread;
    if (ops == &cpat_context_atomic_ops)
        return &background_atomic;
    return ops == &cpat_context_futex_ops ? &background_futex : NULL;
}

const struct cpat_context_ops *cpat_ctx_ops(cpat_ctx *c) {
    return c->ops;
}

/* Each family's channel that is closed for good: the Done of a context
 * cancelled before anyone asked for its Done (Go's closedchan). */
static void *closed_chan(const struct cpat_context_ops *ops) {
    static void *_Atomic closed[3];
    int i = ops == &cpat_context_pthread_ops ? 0 : ops == &cpat_context_atomic_ops ? 1 : 2;
    /* Acquire pairs with the release CAS that published it, closed. */
    void *ch = atomic_load_explicit(&closed[i], memory_order_acquire);
    if (ch)
        return ch;
    if (ops->chan->make(&ch, 0))
        cpat_die("make(closed channel)", ENOMEM);
    ops->chan->close(ch);
    void *expect = NULL;
    if (!atomic_compare_exchange_strong_explicit(&closed[i], &expect, ch, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        ops->chan->destroy(ch); /* another thread's won */
        ch = expect;
    }
    return ch;
}

/* ---- references ---- */

cpat_ctx *cpat_ctx_ref(cpat_ctx *c) {
    /* Relaxed: the caller holds a reference already, so c cannot be freed
     * meanwhile; the acq_rel decrement in unref orders the uses. */
    if (c->type != CTX_BACKGROUND)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

/* A reference unless refs is already 0 (the context is being freed). */
static bool ref_if_alive(struct cpat_ctx *c) {
    /* Relaxed: called under the lock of the list c is on; the memory is
     * valid until c leaves that list (free_one comes after detach). */
    long r = atomic_load_explicit(&c->refs, memory_order_relaxed);
    while (r > 0)
        if (atomic_compare_exchange_weak_explicit(&c->refs, &r, r + 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return true;
    return false;
}

static void free_one(struct cpat_ctx *c) {
    if (c->type == CTX_CANCEL) {
        void *d = atomic_load_explicit(&c->done, memory_order_relaxed);
        if (d && d != closed_chan(c->ops))
            c->ops->chan->destroy(d);
        if (c->ops->lock_kind == CTX_LOCK_PTHREAD)
            pthread_mutex_destroy(&c->lock.pm);
        for (struct cpat_ctx_after *a = c->afters, *next; a; a = next) {
            next = a->next; /* never run: stop() may still come and free it */
            if (atomic_fetch_sub_explicit(&a->owners, 1, memory_order_acq_rel) == 1)
                free(a);
        }
    }
    free(c);
    live_add(-1);
}

void cpat_ctx_unref(cpat_ctx *c) {
    /* Iterative: freeing a child drops its reference on its parent, which
     * may free the parent, and so on up a chain of any depth. */
    while (c && c->type != CTX_BACKGROUND) {
        /* acq_rel: every use of c by other holders happens-before the
         * free by the last one. */
        if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
            return;
        struct cpat_ctx *parent = c->parent;
        free_one(c);
        c = parent;
    }
}

/* ---- creation ---- */

static int new_ctx(struct cpat_ctx *parent, int type, struct cpat_ctx **out) {
    struct cpat_ctx *c = calloc(1, sizeof *c);
    *out = c;
    if (!c)
        return ENOMEM;
    live_add(1);
    atomic_init(&c->refs, 1); /* the owner's */
    c->type = type;
    c->ops = parent->ops;
    c->parent = cpat_ctx_ref(parent);
    c->deadline_ns = parent->deadline_ns;
    c->canc = type == CTX_DETACHED ? NULL : parent->canc;
    if (type == CTX_DETACHED)
        c->deadline_ns = UINT64_MAX;
    if (type == CTX_CANCEL) {
        if (c->ops->lock_kind == CTX_LOCK_PTHREAD)
            pthread_mutex_init(&c->lock.pm, NULL);
        else
            cpat_mutex_futex_init(&c->lock.fm);
        c->canc = c;
    }
    return 0;
}

/* Go's propagateCancel: put c on its cancellable ancestor's list, or
 * cancel c at once if that ancestor is cancelled already. */
static void attach(struct cpat_ctx *c) {
    struct cpat_ctx *a = c->parent->canc;
    if (!a)
        return; /* background or detached above: never cancelled from above */
    cpat_ctx_lock(a);
    int err = atomic_load_explicit(&a->err, memory_order_relaxed), cause = a->cause;
    if (!err) {
        c->sib_prev = NULL;
        c->sib_next = a->children;
        if (a->children)
            a->children->sib_prev = c;
        a->children = c;
        c->in_list = true;
    }
    cpat_ctx_unlock(a);
    if (err)
        cpat_ctx_cancel_with(c, err, cause);
}

int cpat_ctx_with_cancel(cpat_ctx *parent, cpat_ctx **out) {
    int e = new_ctx(parent, CTX_CANCEL, out);
    if (!e)
        attach(*out);
    return e;
}

/* with_deadline, with `now` read by the caller (with_timeout has it). */
static int with_deadline_at(cpat_ctx *parent, uint64_t deadline_ns, uint64_t now, cpat_ctx **out) {
    if (deadline_ns >= parent->deadline_ns) /* the parent's comes first: Go's WithCancel */
        return cpat_ctx_with_cancel(parent, out);
    int e = new_ctx(parent, CTX_CANCEL, out);
    if (e)
        return e;
    struct cpat_ctx *c = *out;
    c->deadline_ns = deadline_ns;
    attach(c);
    if (now >= deadline_ns) {
        cpat_ctx_cancel_with(c, ETIMEDOUT, ETIMEDOUT); /* past: done at once */
        return 0;
    }
    if ((e = cpat_timer_add(c)) != 0) { /* ENOMEM, or EAGAIN: no timer thread */
        cpat_ctx_release(c);
        *out = NULL;
        return e;
    }
    return 0;
}

int cpat_ctx_with_deadline(cpat_ctx *parent, uint64_t deadline_ns, cpat_ctx **out) {
    return with_deadline_at(parent, deadline_ns, cpat_now_ns(), out);
}

int cpat_ctx_with_timeout(cpat_ctx *parent, uint64_t timeout_ns, cpat_ctx **out) {
    uint64_t now = cpat_now_ns();
    return with_deadline_at(
        parent, timeout_ns > UINT64_MAX - 1 - now ? UINT64_MAX - 1 : now + timeout_ns, now, out);
}

int cpat_ctx_with_value(cpat_ctx *parent, const void *key, void *value, cpat_ctx **out) {
    int e = new_ctx(parent, CTX_VALUE, out);
    if (!e) {
        (*out)->key = key;
        (*out)->value = value;
    }
    return e;
}

int cpat_ctx_without_cancel(cpat_ctx *parent, cpat_ctx **out) {
    return new_ctx(parent, CTX_DETACHED, out);
}

/* ---- cancellation ---- */

/* Cancels one context: sets Err, closes Done, takes its children (each
 * with a reference) onto *work and its afters off.  False if it was
 * cancelled already. */
static bool cancel_one(struct cpat_ctx *c, int err, int cause, struct cpat_ctx **work) {
    cpat_ctx_lock(c);
    /* Relaxed under c's lock: every store of err is made under it too. */
    if (atomic_load_explicit(&c->err, memory_order_relaxed)) {
        cpat_ctx_unlock(c);
        return false;
    }
    c->cause = cause ? cause : err;
    /* Err, then Done closed, then `closed`, all under c's lock (Go closes
     * done under c.mu too).  Relaxed: the close's release (its waiters'
     * acquire of DONE, a later recv's of the closed flag) orders the Err
     * store before anything a thread woken by Done does; a reader that
     * sees Err before `closed` takes our lock (cpat_ctx_err). */
    atomic_store_explicit(&c->err, err, memory_order_relaxed);
    void *d = atomic_load_explicit(&c->done, memory_order_relaxed);
    if (!d)
        atomic_store_explicit(&c->done, closed_chan(c->ops), memory_order_release);
    else
        c->ops->chan->close(d); /* wakes its waiters; none of them needs our lock to go on */
    /* Release: pairs with cpat_ctx_err's acquire; Err and the close come first. */
    atomic_store_explicit(&c->closed, true, memory_order_release);
    for (struct cpat_ctx *k = c->children, *next; k; k = next) {
        next = k->sib_next;
        k->in_list = false;
        if (ref_if_alive(k)) { /* else it is being freed: it needs nothing from us */
            k->work_next = *work;
            *work = k;
        }
    }
    c->children = NULL;
    struct cpat_ctx_after *afters = c->afters;
    c->afters = NULL;
    cpat_ctx_unlock(c);

    /* Relaxed: cpat_timer_add sets it under our lock, before our Err
     * store; timer.c re-checks it under its own lock. */
    if (atomic_load_explicit(&c->heap_idx, memory_order_relaxed))
        cpat_timer_remove(c);
    for (struct cpat_ctx_after *a = afters, *next; a; a = next) {
        next = a->next;
        int pending = 0;
        if (atomic_compare_exchange_strong_explicit(&a->state, &pending, 1, memory_order_acq_rel,
                                                    memory_order_relaxed))
            a->fn(a->arg);
        if (atomic_fetch_sub_explicit(&a->owners, 1, memory_order_acq_rel) == 1)
            free(a);
    }
    return true;
}

/* Takes c off its ancestor's list (it is cancelled, or going). */
static void detach(struct cpat_ctx *c) {
    struct cpat_ctx *a = c->parent ? c->parent->canc : NULL;
    if (!a)
        return;
    cpat_ctx_lock(a);
    if (c->in_list) {
        if (c->sib_prev)
            c->sib_prev->sib_next = c->sib_next;
        else
            a->children = c->sib_next;
        if (c->sib_next)
            c->sib_next->sib_prev = c->sib_prev;
        c->in_list = false;
    }
    cpat_ctx_unlock(a);
}

/* Until whoever cancelled k has finished with k's subtree (it is busy
 * closing channels and walking a list: it will not take long). */
static void wait_settled(struct cpat_ctx *k) {
    /* Acquire pairs with the canceller's release store of settled. */
    for (uint32_t i = 0; !atomic_load_explicit(&k->settled, memory_order_acquire); i++)
        cpat_poll_wait(i, 64);
}

void cpat_ctx_cancel_with(struct cpat_ctx *c, int err, int cause) {
    struct cpat_ctx *work = NULL;
    if (!cancel_one(c, err, cause, &work)) {
        wait_settled(c); /* another canceller's: return when it is done */
        return;
    }
    /* Descendants, with a work list instead of recursion: each taken with
     * a reference and cancelled (queueing its own children).  One that
     * another canceller got to first is that canceller's to finish: we
     * wait for it at the end.  Waits only ever point down the tree, into
     * subtrees we did not enter, so they cannot form a cycle. */
    struct cpat_ctx *mine = NULL, **foreign = NULL;
    size_t nforeign = 0, capforeign = 0;
    while (work) {
        struct cpat_ctx *k = work;
        work = k->work_next;
        if (cancel_one(k, err, c->cause, &work)) {
            k->done_next = mine;
            mine = k;
            continue;
        }
        if (nforeign == capforeign) {
            size_t cap = capforeign ? 2 * capforeign : 8;
            struct cpat_ctx **f = realloc(foreign, cap * sizeof *f);
            if (!f) { /* no memory for the list: wait for this one now */
                wait_settled(k);
                cpat_ctx_unref(k);
                continue;
            }
            foreign = f;
            capforeign = cap;
        }
        foreign[nforeign++] = k;
    }
    for (size_t i = 0; i < nforeign; i++) {
        wait_settled(foreign[i]);
        cpat_ctx_unref(foreign[i]);
    }
    free(foreign);
    /* Release: pairs with wait_settled's acquire. */
    while (mine) {
        struct cpat_ctx *k = mine;
        mine = k->done_next;
        atomic_store_explicit(&k->settled, true, memory_order_release);
        cpat_ctx_unref(k);
    }
    atomic_store_explicit(&c->settled, true, memory_order_release);
    /* Off the parent's list only now, as Go's removeChild after the
     * children: until then an ancestor's canceller finds c there and
     * waits for it to settle; detached earlier, c and its subtree would
     * be invisible to that canceller, which could return first. */
    detach(c);
}

void cpat_ctx_cancel(cpat_ctx *c) {
    cpat_ctx_cancel_cause(c, ECANCELED);
}

void cpat_ctx_cancel_cause(cpat_ctx *c, int cause) {
    if (c->type == CTX_CANCEL)
        cpat_ctx_cancel_with(c, ECANCELED, cause);
}

void cpat_ctx_release(cpat_ctx *c) {
    if (!c || c->type == CTX_BACKGROUND)
        return;
    cpat_ctx_cancel(c);
    cpat_ctx_unref(c);
}

/* ---- questions ---- */

void *cpat_ctx_done(cpat_ctx *c) {
    struct cpat_ctx *a = c->canc;
    if (!a)
        return NULL;
    /* Acquire pairs with the release store of the channel below. */
    void *d = atomic_load_explicit(&a->done, memory_order_acquire);
    if (d)
        return d;
    cpat_ctx_lock(a);
    d = atomic_load_explicit(&a->done, memory_order_relaxed);
    if (!d) { /* not cancelled: cancel_one stores the closed channel under the lock */
        if (a->ops->chan->make(&d, 0))
            cpat_die("make(Done)", ENOMEM);
        atomic_store_explicit(&a->done, d, memory_order_release);
    }
    cpat_ctx_unlock(a);
    return d;
}

int cpat_ctx_err(cpat_ctx *c) {
    struct cpat_ctx *k = c->canc;
    if (!k)
        return 0;
    /* Acquire pairs with cancel_one's release store of closed: Err set and
     * Done closed before it. */
    if (atomic_load_explicit(&k->closed, memory_order_acquire))
        return atomic_load_explicit(&k->err, memory_order_relaxed);
    /* Relaxed: 0 is the answer unless a cancel_one has begun, and a thread
     * that saw Done closed cannot read 0 here (the close's release orders
     * the Err store before its wake-up).  Non-zero: a cancel_one holds the
     * lock until Done is closed; take it, so that Err is not seen set
     * while Done is still open. */
    if (atomic_load_explicit(&k->err, memory_order_relaxed) == 0)
        return 0;
    cpat_ctx_lock(k);
    int e = atomic_load_explicit(&k->err, memory_order_relaxed);
    cpat_ctx_unlock(k);
    return e;
}

int cpat_ctx_cause(cpat_ctx *c) {
    if (!cpat_ctx_err(c))
        return 0;
    cpat_ctx_lock(c->canc);
    int cause = c->canc->cause;
    cpat_ctx_unlock(c->canc);
    return cause;
}

bool cpat_ctx_deadline(cpat_ctx *c, uint64_t *deadline_ns) {
    *deadline_ns = c->deadline_ns;
    return c->deadline_ns != UINT64_MAX;
}

void *cpat_ctx_value(cpat_ctx *c, const void *key) {
    for (; c; c = c->parent)
        if (c->type == CTX_VALUE && c->key == key)
            return c->value;
    return NULL;
}

/* ---- after_func ---- */

int cpat_ctx_after_func(cpat_ctx *c, void (*fn)(void *), void *arg,
                        struct cpat_ctx_after **handle) {
    struct cpat_ctx_after *a = calloc(1, sizeof *a);
    *handle = a;
    if (!a)
        return ENOMEM;
    a->fn = fn;
    a->arg = arg;
    atomic_init(&a->state, 0);
    atomic_init(&a->owners, 2); /* the handle's stop() and the run */
    struct cpat_ctx *k = c->canc;
    bool now = !k;
    if (k) {
        cpat_ctx_lock(k);
        now = atomic_load_explicit(&k->err, memory_order_relaxed) != 0;
        if (!now) {
            a->next = k->afters;
            k->afters = a;
        }
        cpat_ctx_unlock(k);
    }
    if (!k) { /* never cancelled: it never runs; only stop() owns it */
        atomic_store_explicit(&a->owners, 1, memory_order_relaxed);
    } else if (now) {
        int pending = 0;
        if (atomic_compare_exchange_strong_explicit(&a->state, &pending, 1, memory_order_acq_rel,
                                                    memory_order_relaxed))
            fn(arg);
        if (atomic_fetch_sub_explicit(&a->owners, 1, memory_order_acq_rel) == 1)
            free(a); /* stop() was called from fn */
    }
    return 0;
}

bool cpat_ctx_after_stop(struct cpat_ctx_after *a) {
    int pending = 0;
    /* Whoever moves the state off 0 decides: stop (2) or run (1). */
    bool stopped = atomic_compare_exchange_strong_explicit(
        &a->state, &pending, 2, memory_order_acq_rel, memory_order_relaxed);
    if (atomic_fetch_sub_explicit(&a->owners, 1, memory_order_acq_rel) == 1)
        free(a);
    return stopped;
}

/* ---- ctx-aware operations ---- */

int cpat_ctx_select(cpat_ctx *c, struct cpat_select_case *cs, size_t n, size_t *chosen) {
    if (n + 1 > CPAT_SELECT_MAX)
        return EINVAL;
    int err = cpat_ctx_err(c);
    if (err) { /* ended: report it rather than race it against the cases */
        *chosen = n;
        return err;
    }
    struct cpat_select_case all[CPAT_SELECT_MAX];
    for (size_t i = 0; i < n; i++)
        all[i] = cs[i];
    all[n] = (struct cpat_select_case){cpat_ctx_done(c), CPAT_RECV, NULL};
    uint64_t deadline = c->deadline_ns == UINT64_MAX ? CPAT_FOREVER : c->deadline_ns;
    size_t i;
    int r = c->ops->chan->select(all, n + 1, deadline, &i);
    if (r == ETIMEDOUT) {
        /* Our own wait saw the deadline first (the timer thread may not
         * have yet): end the context now -- never early, it has passed. */
        if (c->canc)
            cpat_ctx_cancel_with(c->canc, ETIMEDOUT, ETIMEDOUT);
        *chosen = n;
        return cpat_ctx_err(c) ? cpat_ctx_err(c) : ETIMEDOUT;
    }
    if (r == EINVAL || r == EAGAIN)
        return r;
    if (i == n) { /* Done: Err was set before it closed */
        *chosen = n;
        return cpat_ctx_err(c);
    }
    cs[i].value = all[i].value;
    *chosen = i;
    return r;
}

/* send and recv try the channel alone first, as Go's chansend/chanrecv
 * do before they block: a context that has not ended and a channel that
 * is ready need no select and no Done case (a worker pool's every job).
 * Err is looked at first, so an ended context is reported, not raced, as
 * cpat_ctx_select does. */
int cpat_ctx_send(cpat_ctx *c, void *ch, void *value) {
    int r = cpat_ctx_err(c);
    if (r || (ch && (r = c->ops->chan->trysend(ch, value)) != EAGAIN))
        return r; /* Err, 0 or EPIPE; a NULL channel is never ready */
    struct cpat_select_case cs = {ch, CPAT_SEND, value};
    size_t i;
    return cpat_ctx_select(c, &cs, 1, &i);
}

int cpat_ctx_recv(cpat_ctx *c, void *ch, void **value) {
    int r = cpat_ctx_err(c);
    if (r) {
        *value = NULL;
        return r;
    }
    if (ch && (r = c->ops->chan->tryrecv(ch, value)) != EAGAIN) { /* NULL: never ready */
        if (r)
            *value = NULL;
        return r; /* 0 or EPIPE */
    }
    struct cpat_select_case cs = {ch, CPAT_RECV, NULL};
    size_t i;
    r = cpat_ctx_select(c, &cs, 1, &i);
    *value = i == 0 ? cs.value : NULL;
    return r;
}

/* ---- ctx-aware waitgroup wait and mutex lock ----
 *
 * The waiter's frame holds a stop flag (common/stop.h); an after_func on the
 * context sets it and kicks the object's waiters (waitgroup.h: wait_until
 * and kick; mutex.h: lock_until and kick), so a waiter asleep there wakes,
 * sees the flag and leaves.  The after_func's run may still be touching
 * this frame when stop() says it lost: `finished` tells the waiter when it
 * may return. */
struct ctx_kick {
    const struct cpat_waitgroup_ops *wg_ops; /* one of the two */
    const struct cpat_mutex_ops *mutex_ops;
    void *obj;
    struct cpat_stop stop;
    _Atomic int finished; /* 0, then 1 once the kick is done with this frame and obj */
};

static void ctx_kick(void *arg) {
    struct ctx_kick *k = arg;
    cpat_stop_set(&k->stop); /* Err is set: cancel runs after_funcs after it */
    if (k->wg_ops)
        k->wg_ops->kick(k->obj, &k->stop);
    else
        k->mutex_ops->kick(k->obj, &k->stop);
    /* Release: our last touch of the frame; pairs with the waiter's acquire
     * in ctx_wait, after which it may return and its frame and obj may go. */
    atomic_store_explicit(&k->finished, 1, memory_order_release);
}

/* The caller has looked at Err (an ended context is reported, not raced,
 * as cpat_ctx_select does). */
static int ctx_wait(cpat_ctx *c, struct ctx_kick *k) {
    cpat_stop_init(&k->stop);
    atomic_init(&k->finished, 0);
    struct cpat_ctx_after *h = NULL;
    if (c->canc) { /* else never cancelled: only a deadline can end the wait (none, either) */
        int e = cpat_ctx_after_func(c, ctx_kick, k, &h);
        if (e)
            return e;
    }
    int r = k->wg_ops ? k->wg_ops->wait_until(k->obj, c->deadline_ns, &k->stop)
                      : k->mutex_ops->lock_until(k->obj, c->deadline_ns, &k->stop);
    if (h && !cpat_ctx_after_stop(h))
        while (!atomic_load_explicit(&k->finished, memory_order_acquire))
            sched_yield(); /* the kick runs on the cancelling thread: let it finish */
    if (r == ETIMEDOUT) {
        /* Our own wait saw the deadline first (the timer thread may not
         * have yet): end the context now, as cpat_ctx_select does. */
        if (c->canc)
            cpat_ctx_cancel_with(c->canc, ETIMEDOUT, ETIMEDOUT);
        int err = cpat_ctx_err(c);
        return err ? err : ETIMEDOUT;
    }
    return r == ECANCELED ? cpat_ctx_err(c) : r;
}

int cpat_ctx_wg_wait(cpat_ctx *c, const struct cpat_waitgroup_ops *ops, void *wg) {
    int err = cpat_ctx_err(c);
    if (err)
        return err;
    struct ctx_kick k = {.wg_ops = ops, .obj = wg};
    return ctx_wait(c, &k);
}

int cpat_ctx_mutex_lock(cpat_ctx *c, const struct cpat_mutex_ops *ops, void *m) {
    if (!ops->lock_until)
        return ENOTSUP;
    int err = cpat_ctx_err(c);
    if (err)
        return err;
    if (ops->trylock(m) == 0) /* free: no after_func to register and stop */
        return 0;
    struct ctx_kick k = {.mutex_ops = ops, .obj = m};
    return ctx_wait(c, &k);
}
