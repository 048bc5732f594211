/* Context (Go's context package): cancellation trees, deadlines and
 * request-scoped values, for every channel family.
 *
 *     const struct cpat_context_ops *ops = cpat_context_find("futex");
 *     cpat_ctx *bg = cpat_ctx_background(ops);          // never cancelled
 *     cpat_ctx *ctx;
 *     cpat_ctx_with_timeout(bg, 5000000, &ctx);         // 5 ms
 *     int r = cpat_ctx_recv(ctx, ch, &v);               // 0, EPIPE, ECANCELED, ETIMEDOUT
 *     cpat_ctx_release(ctx);                            // Go's defer cancel()
 *
 * A context's Done is a channel of its family (cpat_ctx_done), closed when
 * the context is cancelled, so it takes part in that family's select like
 * any other channel; a context that can never be cancelled (background,
 * without_cancel, values over those) has Done NULL, which in a select
 * never fires (Go's nil channel).  Err is 0 until Done is closed, then
 * ECANCELED or ETIMEDOUT for good: no thread sees Err set while Done is
 * open, nor Done closed with Err 0.
 *
 * Lifetime (C has no garbage collector).  Every context is reference
 * counted.  A with_* call returns the one *owning* reference: the caller
 * must call cpat_ctx_release() on it exactly once (Go's `defer cancel()`),
 * which cancels the context (if it was not already), detaches it from its
 * parent and drops the reference.  Anyone else who keeps a context -- a
 * thread it was handed to -- takes a reference of its own with
 * cpat_ctx_ref() and drops it with cpat_ctx_unref(), which never cancels.
 * A child holds a reference to its parent, so a parent lives as long as
 * any descendant; a parent holds none to its children, and a cancelled
 * child leaves its parent's set at once (no growth).  cpat_ctx_cancel()
 * may be called any number of times, from any thread that holds a
 * reference.  Cancelling walks the tree with a work list, never recursing
 * on the C stack, however deep the tree.
 *
 * Deadlines are absolute CLOCK_MONOTONIC ns (cpat_now_ns()).  One timer
 * thread per process, started on the first deadline, fires them from a
 * min-heap; a context cancelled before its deadline leaves the heap.  A
 * deadline already past is done at once; a deadline never fires early.
 * A child's deadline never lies after its parent's (Go: the earlier wins).
 *
 * Errors: 0, ECANCELED, ETIMEDOUT, EPIPE (closed channel), ENOMEM, EAGAIN,
 * EINVAL.
 */
#ifndef CPAT_CONTEXT_H
#define CPAT_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpat/chan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpat_ctx cpat_ctx;

/* A context family: how its Done channel and its lock are made. */
struct cpat_context_ops {
    const char *name;  /* "futex": the channel family its Done belongs to */
    const char *kind;  /* "variant" or "null" */
    const char *about; /* one line for --list and the README */
    unsigned flags;    /* CPAT_CHAN_* of its channel family */
    const struct cpat_chan_ops *chan;
    int lock_kind; /* internal: how the context's own lock waits */
};

extern const struct cpat_context_ops cpat_context_pthread_ops, cpat_context_atomic_ops,
    cpat_context_futex_ops;

/* The root of a family: never cancelled, no deadline, no values; Done is
 * NULL.  A static object: release/unref of it do nothing. */
cpat_ctx *cpat_ctx_background(const struct cpat_context_ops *ops);

/* Children.  Each returns 0 and the owning reference in *out, or ENOMEM
 * (*out = NULL); with_deadline and with_timeout also EAGAIN when the timer
 * thread cannot be started (a thread limit: a later call tries again).  A child of a cancelled
 * parent starts cancelled with the parent's Err and cause. */
int cpat_ctx_with_cancel(cpat_ctx *parent, cpat_ctx **out);
int cpat_ctx_with_deadline(cpat_ctx *parent, uint64_t deadline_ns, cpat_ctx **out);
int cpat_ctx_with_timeout(cpat_ctx *parent, uint64_t timeout_ns, cpat_ctx **out);
/* key is compared by address; the value is looked up through the parents
 * (the nearest wins).  The child is cancelled only with its parent. */
int cpat_ctx_with_value(cpat_ctx *parent, const void *key, void *value, cpat_ctx **out);
/* A child that keeps the parent's values but is never cancelled by it (Go
 * 1.21 WithoutCancel): no deadline, Done NULL. */
int cpat_ctx_without_cancel(cpat_ctx *parent, cpat_ctx **out);

/* Cancel with Err ECANCELED and the given cause (cancel: cause ECANCELED;
 * Go 1.20 CancelCauseFunc).  The first cancel wins; later ones do
 * nothing.  Descendants are cancelled with the same Err and cause. */
void cpat_ctx_cancel(cpat_ctx *ctx);
void cpat_ctx_cancel_cause(cpat_ctx *ctx, int cause);

/* The owner's end of a with_* context: cancel, detach, drop. */
void cpat_ctx_release(cpat_ctx *ctx);
/* A reference of one's own, and its end (never cancels). */
cpat_ctx *cpat_ctx_ref(cpat_ctx *ctx);
void cpat_ctx_unref(cpat_ctx *ctx);

void *cpat_ctx_done(cpat_ctx *ctx); /* the Done channel, or NULL */
int cpat_ctx_err(cpat_ctx *ctx);    /* 0, ECANCELED, ETIMEDOUT */
int cpat_ctx_cause(cpat_ctx *ctx);  /* 0, or the cause given to cancel (Err if none) */
bool cpat_ctx_deadline(cpat_ctx *ctx, uint64_t *deadline_ns); /* false: none */
void *cpat_ctx_value(cpat_ctx *ctx, const void *key);         /* NULL: not set */
const struct cpat_context_ops *cpat_ctx_ops(cpat_ctx *ctx);

/* after_func (Go 1.21 AfterFunc): fn(arg) runs once, after ctx is
 * cancelled -- at once, on this thread, if it already is; otherwise on the
 * thread that cancels it (the timer thread for a deadline), after Done is
 * closed, with no lock held: keep it short or hand the work off.  stop()
 * returns true if it kept fn from running, false if fn has started (or
 * stop was called already).  The handle is freed by whichever of stop()
 * and the run comes second. */
struct cpat_ctx_after;
int cpat_ctx_after_func(cpat_ctx *ctx, void (*fn)(void *), void *arg,
                        struct cpat_ctx_after **handle);
bool cpat_ctx_after_stop(struct cpat_ctx_after *handle);

/* ctx-aware operations on a channel of the context's family: a select
 * between the operation and Done, waiting at most until the deadline.
 * They return the operation's result (0, EPIPE) or, if the context ends
 * first, its Err (ECANCELED, ETIMEDOUT) -- and then moved no value. */
int cpat_ctx_send(cpat_ctx *ctx, void *ch, void *value);
int cpat_ctx_recv(cpat_ctx *ctx, void *ch, void **value);
/* Any select of the family plus Done: *chosen == n when the context ended
 * (returns its Err). */
int cpat_ctx_select(cpat_ctx *ctx, struct cpat_select_case *cases, size_t n, size_t *chosen);

/* ctx-aware waitgroup wait, of any waitgroup family (its table form):
 * wait() raced against the context.  0 once the counter is zero, or the
 * context's Err (ECANCELED, ETIMEDOUT) if it ends first -- and then this
 * waiter has left the group, so a later zero does not count it; ENOMEM if
 * the wake-up on cancel cannot be registered.  A context that has already
 * ended gives its Err at once, as cpat_ctx_select does. */
struct cpat_waitgroup_ops;
int cpat_ctx_wg_wait(cpat_ctx *ctx, const struct cpat_waitgroup_ops *wg_ops, void *wg);

/* ctx-aware mutex lock, of a mutex variant that can give up a wait (its
 * table form has lock_until; ENOTSUP if not: the queue locks).  0 with the
 * lock held, or the context's Err without it -- never both.  A cancel
 * wakes a futex or spin waiter at once; a pthread one at the end of its
 * 1 ms slice (a pthread mutex can only be woken by its unlock: it waits in
 * slices). */
struct cpat_mutex_ops;
int cpat_ctx_mutex_lock(cpat_ctx *ctx, const struct cpat_mutex_ops *mutex_ops, void *m);

/* Contexts alive now, in the whole process (for leak checks). */
long cpat_ctx_live(void);

#ifdef __cplusplus
}
#endif

#endif
