/* The context's insides, shared by context.c and timer.c.
 *
 * A context is one of:
 *   BACKGROUND  static root of a family; never cancelled; Done NULL
 *   CANCEL      with_cancel / with_deadline: cancellable, Done made lazily
 *   VALUE       with_value: a key and a value over its parent
 *   DETACHED    without_cancel: values of its parent, never cancelled
 * A VALUE or DETACHED context forwards Err, Done and cancellation
 * questions to the nearest CANCEL ancestor below any DETACHED one
 * (`canc`, fixed at creation; NULL when there is none).
 *
 * Under c->lock (a CANCEL context's own):
 *   err, cause  0 until cancelled; err is also read without the lock
 *               once `closed` is set (see there)
 *   done        NULL, a channel of the family, or the family's closed
 *               channel when cancelled before anyone asked for Done
 *   children    the CANCEL contexts whose canc is c and that are not
 *               cancelled (sib_prev/sib_next, in_list)
 *   afters      after_func records not yet run or stopped
 * Timer fields (heap_idx) are under the lock of the timer's shard
 * (timer.c); timer_shard is written under c->lock before heap_idx.
 *
 * refs: references; a context is freed when they reach 0.  The owner holds
 * one (released by cpat_ctx_release), each child holds one on its parent,
 * the timer heap holds one while the context is in it, and a canceller
 * holds one on each child it has taken off a list until it has cancelled
 * it.  A context on its canc's list always has refs > 0: it leaves the
 * list when cancelled, and release cancels before it drops the owner's
 * reference.
 */
#ifndef CPAT_CONTEXT_INTERNAL_H
#define CPAT_CONTEXT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpat/context.h"
#include "mutex/futex.h"

enum { CTX_BACKGROUND, CTX_CANCEL, CTX_VALUE, CTX_DETACHED };
enum { CTX_LOCK_PTHREAD, CTX_LOCK_FUTEX, CTX_LOCK_SPIN };

struct cpat_ctx_after {
    struct cpat_ctx_after *next; /* the context's afters, under its lock */
    void (*fn)(void *);
    void *arg;
    /* 0 pending; 1 run or running; 2 stopped.  Whoever moves it off 0
     * decides; the second of (run, stop) frees the record: `owners`
     * counts the two ends. */
    _Atomic int state;
    _Atomic int owners;
};

struct cpat_ctx {
    _Atomic long refs;
    int type;
    const struct cpat_context_ops *ops;
    struct cpat_ctx *parent; /* counted reference; NULL for background */
    struct cpat_ctx *canc;   /* nearest CANCEL ancestor (or self), see above */
    uint64_t deadline_ns;    /* effective: min of own and parent's; UINT64_MAX none */
    const void *key;         /* VALUE */
    void *value;
    /* CANCEL only: */
    union {
        pthread_mutex_t pm;
        struct cpat_mutex_futex fm; /* CTX_LOCK_FUTEX and CTX_LOCK_SPIN */
    } lock;
    _Atomic int err;
    int cause;
    void *_Atomic done;
    /* Set (release) under the lock by the canceller once Err is set and
     * Done is closed: from then on Err is read without the lock.  Before
     * it, a reader that sees Err set takes the lock, which the canceller
     * holds until Done is closed -- so no one sees Err set with Done still
     * open, nor Done closed with Err 0 (X2; Go's Err takes c.mu). */
    _Atomic bool closed;
    struct cpat_ctx *children, *sib_prev, *sib_next;
    bool in_list;
    struct cpat_ctx *work_next; /* a canceller's work list */
    struct cpat_ctx *done_next; /* the list of what that canceller cancelled */
    /* Set (release) by the canceller that set Err, once the context and
     * every descendant have Done closed: a later cancel() of it waits for
     * this, so that when any cancel() returns the subtree is done (X1). */
    _Atomic bool settled;
    struct cpat_ctx_after *afters;
    _Atomic size_t heap_idx; /* timer heap position + 1; 0 not in the heap */
    uint16_t timer_shard;    /* the timer heap's shard (timer.c) */
};

void cpat_ctx_lock(struct cpat_ctx *c);
void cpat_ctx_unlock(struct cpat_ctx *c);
/* Cancels c (a CANCEL context) and its descendants with err and cause. */
void cpat_ctx_cancel_with(struct cpat_ctx *c, int err, int cause);

/* timer.c */
int cpat_timer_add(struct cpat_ctx *c);     /* takes a reference; ENOMEM */
void cpat_timer_remove(struct cpat_ctx *c); /* drops it, if c is in the heap */

#endif
