/* Broken contexts.  The context is one library for every family, so each
 * mutant is a family whose calls are the library's with one of them
 * replaced by a wrapper that carries one deliberate bug (struct vctx_api,
 * mutants.h).  Two wrappers reach into the library's insides
 * (context/context.h) to break what no public call can: which contexts are
 * cancellable, and a context's list of children. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "context/context.h"
#include "cpat/error.h"
#include "mutants.h"

/* A mutant's calls: the library's, but for the ones it names (LIB_WITH and
 * LIB_CANCEL stand for three of the library's each, hence the indirection). */
#define MUTANT(...) MUTANT_(__VA_ARGS__)
#define MUTANT_(name_, family, with_cancel_, with_deadline_, with_timeout_, cancel_,               \
                cancel_cause_, release_, recv_)                                                    \
    {                                                                                              \
        .name = (name_), .ops = &cpat_context_##family##_ops, .with_cancel = (with_cancel_),       \
        .with_deadline = (with_deadline_), .with_timeout = (with_timeout_),                        \
        .with_value = cpat_ctx_with_value, .without_cancel = cpat_ctx_without_cancel,              \
        .cancel = (cancel_), .cancel_cause = (cancel_cause_), .release = (release_),               \
        .after_func = cpat_ctx_after_func, .after_stop = cpat_ctx_after_stop,                      \
        .send = cpat_ctx_send, .recv = (recv_), .select = cpat_ctx_select,                         \
    }
#define LIB_WITH   cpat_ctx_with_cancel, cpat_ctx_with_deadline, cpat_ctx_with_timeout
#define LIB_CANCEL cpat_ctx_cancel, cpat_ctx_cancel_cause, cpat_ctx_release

/* A mutant's cancel and release around its broken P##_cancel_cause, and
 * the three in MUTANT's order. */
#define BROKEN_CANCEL(P)                                                                           \
    static void P##_cancel(cpat_ctx *c) {                                                          \
        P##_cancel_cause(c, ECANCELED);                                                            \
    }                                                                                              \
    static void P##_release(cpat_ctx *c) {                                                         \
        if (c && c->type != CTX_BACKGROUND) {                                                      \
            P##_cancel(c);                                                                         \
            cpat_ctx_unref(c);                                                                     \
        }                                                                                          \
    }
#define BROKEN_CANCEL_OPS(P) P##_cancel, P##_cancel_cause, P##_release

/* done_before_err (Go issue 75533's shape): cancel closes Done, and only
 * a moment later sets Err, so a thread woken by Done reads Err 0 (X2). */
static void done_before_err_cancel_cause(cpat_ctx *c, int cause) {
    if (c->type == CTX_CANCEL && !cpat_ctx_err(c)) {
        c->ops->chan->close(cpat_ctx_done(c)); /* BUG: Done first ... */
        struct timespec ts = {0, 50 * 1000};
        nanosleep(&ts, NULL);
    }
    cpat_ctx_cancel_cause(c, cause); /* ... Err after (its close of Done finds it closed) */
}
BROKEN_CANCEL(done_before_err)
static const struct vctx_api done_before_err = MUTANT(
    "mutant_done_before_err", pthread, LIB_WITH, BROKEN_CANCEL_OPS(done_before_err), cpat_ctx_recv);

/* err_before_done: cancel publishes Err and only a moment later closes
 * Done (the library's order before X2 was read strictly: Err stored, the
 * lock dropped, Done closed after), so a thread that reads Err and then
 * looks at Done finds Err set with Done open (X2). */
static void err_before_done_cancel_cause(cpat_ctx *c, int cause) {
    bool first = false;
    if (c->type == CTX_CANCEL) {
        cpat_ctx_lock(c);
        if ((first = atomic_load_explicit(&c->err, memory_order_relaxed) == 0)) {
            c->cause = cause;
            atomic_store_explicit(&c->err, ECANCELED, memory_order_relaxed); /* BUG: Err now */
        }
        cpat_ctx_unlock(c);
    }
    if (first) {
        struct timespec ts = {0, 50 * 1000};
        nanosleep(&ts, NULL); /* ... Done still open ... */
        cpat_ctx_lock(c);     /* ... then the library's whole cancel, from Err 0 */
        atomic_store_explicit(&c->err, 0, memory_order_relaxed);
        cpat_ctx_unlock(c);
    }
    cpat_ctx_cancel_cause(c, cause);
}
BROKEN_CANCEL(err_before_done)
static const struct vctx_api err_before_done = MUTANT(
    "mutant_err_before_done", atomic, LIB_WITH, BROKEN_CANCEL_OPS(err_before_done), cpat_ctx_recv);

/* skip_grandchildren: cancel forgets the children of its children (their
 * list is emptied before the library's cancel walks the tree), so they
 * are never cancelled from above (X1). */
static void skip_grandchildren_cancel_cause(cpat_ctx *c, int cause) {
    if (c->type == CTX_CANCEL) {
        /* Locks a parent, then its child: the library never holds a child's
         * lock while it takes its parent's, so this order cannot deadlock. */
        cpat_ctx_lock(c);
        for (struct cpat_ctx *k = c->children; k; k = k->sib_next) {
            cpat_ctx_lock(k);
            for (struct cpat_ctx *g = k->children; g; g = g->sib_next)
                g->in_list = false;
            k->children = NULL; /* BUG: the grandchildren are dropped */
            cpat_ctx_unlock(k);
        }
        cpat_ctx_unlock(c);
    }
    cpat_ctx_cancel_cause(c, cause);
}
BROKEN_CANCEL(skip_grandchildren)
static const struct vctx_api skip_grandchildren =
    MUTANT("mutant_skip_grandchildren", atomic, LIB_WITH, BROKEN_CANCEL_OPS(skip_grandchildren),
           cpat_ctx_recv);

/* early_timer: a deadline fires halfway to it (X3). */
static int early_timer_with_deadline(cpat_ctx *parent, uint64_t deadline_ns, cpat_ctx **out) {
    uint64_t now = cpat_now_ns();
    if (deadline_ns > now && deadline_ns != UINT64_MAX)
        deadline_ns = now + (deadline_ns - now) / 2; /* BUG: half the time */
    return cpat_ctx_with_deadline(parent, deadline_ns, out);
}
static int early_timer_with_timeout(cpat_ctx *parent, uint64_t timeout_ns, cpat_ctx **out) {
    uint64_t now = cpat_now_ns();
    return early_timer_with_deadline(
        parent, timeout_ns > UINT64_MAX - 1 - now ? UINT64_MAX - 1 : now + timeout_ns, out);
}
static const struct vctx_api early_timer =
    MUTANT("mutant_early_timer", futex, cpat_ctx_with_cancel, early_timer_with_deadline,
           early_timer_with_timeout, LIB_CANCEL, cpat_ctx_recv);

/* never_detach: a cancellable parent keeps every child it ever had, alive,
 * until the parent itself is cancelled (X4: the parent's set grows).  The
 * keeping is an after_func on the parent that drops the child's reference
 * (and frees its own record), so nothing leaks once the parent goes. */
struct kept {
    cpat_ctx *child;
    struct cpat_ctx_after *handle;
};
static void never_detach_drop(void *arg) {
    struct kept *k = arg;
    cpat_ctx_unref(k->child);
    cpat_ctx_after_stop(k->handle); /* false (running): the run then frees the record */
    free(k);
}
static int never_detach_keep(cpat_ctx *parent, int e, cpat_ctx **out) {
    if (e || !parent->canc || cpat_ctx_err(parent))
        return e; /* never cancelled: it would keep it for good; cancelled: nothing to keep */
    struct kept *k = malloc(sizeof *k);
    if (!k)
        cpat_die("malloc", ENOMEM);
    k->child = cpat_ctx_ref(*out); /* BUG: the parent's set holds it */
    if ((e = cpat_ctx_after_func(parent, never_detach_drop, k, &k->handle)) != 0)
        cpat_die("cpat_ctx_after_func", e);
    return 0;
}
static int never_detach_with_cancel(cpat_ctx *parent, cpat_ctx **out) {
    return never_detach_keep(parent, cpat_ctx_with_cancel(parent, out), out);
}
static int never_detach_with_deadline(cpat_ctx *parent, uint64_t deadline_ns, cpat_ctx **out) {
    return never_detach_keep(parent, cpat_ctx_with_deadline(parent, deadline_ns, out), out);
}
static int never_detach_with_timeout(cpat_ctx *parent, uint64_t timeout_ns, cpat_ctx **out) {
    return never_detach_keep(parent, cpat_ctx_with_timeout(parent, timeout_ns, out), out);
}
static const struct vctx_api never_detach =
    MUTANT("mutant_never_detach", pthread, never_detach_with_cancel, never_detach_with_deadline,
           never_detach_with_timeout, LIB_CANCEL, cpat_ctx_recv);

/* recv_drops_value: a ctx-aware receive on an ended context still takes a
 * value that is ready, and reports the context's Err: the value is both
 * consumed and reported as cancelled (X6). */
static int recv_drops_value_recv(cpat_ctx *c, void *ch, void **value) {
    int err = cpat_ctx_err(c);
    if (err) {
        c->ops->chan->tryrecv(ch, value); /* BUG: takes it, then says cancelled */
        *value = NULL;
        return err;
    }
    int r = cpat_ctx_recv(c, ch, value);
    if (r == 0 && (err = cpat_ctx_err(c)) != 0) {
        *value = NULL; /* BUG: the same, when the cancel came during the wait */
        return err;
    }
    return r;
}
static const struct vctx_api recv_drops_value =
    MUTANT("mutant_recv_drops_value", futex, LIB_WITH, LIB_CANCEL, recv_drops_value_recv);

const struct vmutant_context vmutants_context[] = {
    {&done_before_err, false, "X2"},
    {&err_before_done, false, "X2"},
    {&skip_grandchildren, false, "X1"},
    {&early_timer, false, "X3"},
    {&never_detach, false, "X4"},
    {&recv_drops_value, false, "X6"},
    {NULL, false, NULL},
};
