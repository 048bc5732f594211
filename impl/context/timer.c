/* One timer thread per process fires every context deadline (Go keeps
 * timers in per-P heaps served by its scheduler; a C process has no
 * scheduler, so one thread does it), from sharded min-heaps.
 *
 * Shards.  A deadline goes into the heap of the shard of the CPU its
 * context is made on (sched_getcpu, modulo the shard count: the CPUs,
 * rounded up to a power of two, at most MAX_SHARDS).  Each shard has its
 * own lock, so threads that make and cancel timed contexts on different
 * CPUs do not share a lock or a line (one process-wide heap's lock cost
 * with_timeout + cancel 132 -> 191 ns per op at 2 threads here, against
 * perfect scaling).  The thread looks at every shard when it wakes.
 *
 * Under a shard's lock: its heap (contexts by deadline; each holds a
 * reference and knows its shard and position, c->timer_shard and
 * c->heap_idx, so a cancelled context leaves in O(log n) and no heap grows
 * with contexts that are gone).
 *
 * `sleep_until`: the deadline the thread sleeps until (UINT64_MAX: none);
 * 0 while it is awake and will look at every heap again anyway.  An insert
 * wakes it only for an earlier deadline, so with_timeout + cancel in a
 * loop makes no syscall: the thread wakes once at the old deadline and
 * finds nothing.  `seq` is the futex word it sleeps on; a wake bumps it.
 * Neither needs more than relaxed order: the thread stores sleep_until
 * and then locks every shard to look at its earliest deadline again, and
 * an insert reads sleep_until after it has locked (and unlocked) its
 * shard.  So either the
 * thread's second look comes after the insert (it sees the new earliest
 * and does not sleep) or the insert's lock comes after that look's
 * unlock, and the insert reads the new sleep_until and wakes the thread.
 * seq is read before that second look: a bump after it makes the futex
 * wait return at once.
 *
 * The thread asks the kernel for 1 ns of timer slack (the default 50 us
 * would be added to every deadline), so a deadline fires as close after
 * it passes as a timed futex wait can return.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/futex.h"
#include "context/context.h"
#include "cpat/error.h"

#define MAX_SHARDS 64

static struct shard {
    alignas(64) pthread_mutex_t lock;
    struct cpat_ctx **heap;
    size_t len, cap;
} shards[MAX_SHARDS];
static unsigned nshards; /* a power of two; set once, by start, before `started` */

/* Set (release) once the shards are ready and the thread runs; until
 * then every first deadline tries to start it under start_lock, so a
 * thread limit hit once (EAGAIN) is not a failure for good. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool started;
static _Atomic uint32_t seq;
static _Atomic uint64_t sleep_until;

static void heap_set(struct shard *sh, size_t i, struct cpat_ctx *c) {
    sh->heap[i] = c;
    atomic_store_explicit(&c->heap_idx, i + 1, memory_order_relaxed);
}

static void sift_up(struct shard *sh, size_t i) {
    struct cpat_ctx *c = sh->heap[i];
    while (i > 0 && sh->heap[(i - 1) / 2]->deadline_ns > c->deadline_ns) {
        heap_set(sh, i, sh->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(sh, i, c);
}

static void sift_down(struct shard *sh, size_t i) {
    struct cpat_ctx *c = sh->heap[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= sh->len)
            break;
        if (k + 1 < sh->len && sh->heap[k + 1]->deadline_ns < sh->heap[k]->deadline_ns)
            k++;
        if (sh->heap[k]->deadline_ns >= c->deadline_ns)
            break;
        heap_set(sh, i, sh->heap[k]);
        i = k;
    }
    heap_set(sh, i, c);
}

/* Under the shard's lock: takes heap[i] out. */
static void heap_take(struct shard *sh, size_t i) {
    atomic_store_explicit(&sh->heap[i]->heap_idx, 0, memory_order_relaxed);
    struct cpat_ctx *last = sh->heap[--sh->len];
    if (i == sh->len)
        return;
    heap_set(sh, i, last);
    if (i > 0 && sh->heap[(i - 1) / 2]->deadline_ns > last->deadline_ns)
        sift_up(sh, i);
    else
        sift_down(sh, i);
}

/* The earliest deadline of a shard, UINT64_MAX if none. */
static uint64_t shard_first(struct shard *sh) {
    pthread_mutex_lock(&sh->lock);
    uint64_t d = sh->len ? sh->heap[0]->deadline_ns : UINT64_MAX;
    pthread_mutex_unlock(&sh->lock);
    return d;
}

/* Fires what has passed in a shard; returns its earliest deadline left. */
static uint64_t shard_fire(struct shard *sh) {
    pthread_mutex_lock(&sh->lock);
    while (sh->len && sh->heap[0]->deadline_ns <= cpat_now_ns()) {
        struct cpat_ctx *c = sh->heap[0];
        heap_take(sh, 0); /* its reference is now ours */
        pthread_mutex_unlock(&sh->lock);
        cpat_ctx_cancel_with(c, ETIMEDOUT, ETIMEDOUT);
        cpat_ctx_unref(c);
        pthread_mutex_lock(&sh->lock);
    }
    uint64_t d = sh->len ? sh->heap[0]->deadline_ns : UINT64_MAX;
    pthread_mutex_unlock(&sh->lock);
    return d;
}

static void *timer_main(void *arg) {
    (void)arg;
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    for (;;) {
        uint64_t until = UINT64_MAX;
        for (unsigned i = 0; i < nshards; i++) {
            uint64_t d = shard_fire(&shards[i]);
            until = d < until ? d : until;
        }
        uint32_t s = atomic_load_explicit(&seq, memory_order_relaxed);
        atomic_store_explicit(&sleep_until, until, memory_order_relaxed);
        /* The second look (see the top): an insert since the first. */
        bool again = false;
        for (unsigned i = 0; i < nshards && !again; i++)
            again = shard_first(&shards[i]) < until;
        if (!again && until > cpat_now_ns()) {
            struct timespec ts = cpat_ns_to_timespec(until);
            /* Any return looks again: the deadline, an earlier one (seq
             * changed), a spurious wake or EINTR. */
            cpat_futex_wait(&seq, s, until == UINT64_MAX ? NULL : &ts);
        }
        atomic_store_explicit(&sleep_until, 0, memory_order_relaxed);
    }
    return NULL;
}

/* On a first deadline: the shards (once) and the thread.  0 or
 * pthread_create's error (EAGAIN).  Signals are blocked in the thread:
 * they belong to the program's threads. */
static int start(void) {
    pthread_mutex_lock(&start_lock);
    int e = 0;
    if (atomic_load_explicit(&started, memory_order_relaxed))
        goto out;
    if (!nshards) {
        long cpus = sysconf(_SC_NPROCESSORS_CONF);
        unsigned n = 1;
        while (n < MAX_SHARDS && (long)n < cpus)
            n *= 2;
        for (unsigned i = 0; i < n; i++)
            pthread_mutex_init(&shards[i].lock, NULL);
        nshards = n;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    e = pthread_create(&t, NULL, timer_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!e) {
        pthread_detach(t);
        /* Release: pairs with the acquire in cpat_timer_add -- the shards
         * and nshards are set before anyone uses them. */
        atomic_store_explicit(&started, true, memory_order_release);
    }
out:
    pthread_mutex_unlock(&start_lock);
    return e;
}

int cpat_timer_add(struct cpat_ctx *c) {
    int e;
    if (!atomic_load_explicit(&started, memory_order_acquire) && (e = start()) != 0)
        return e;
    int cpu = sched_getcpu();
    struct shard *sh = &shards[(unsigned)(cpu < 0 ? 0 : cpu) & (nshards - 1)];
    /* Under c's lock, so that a cancel either comes first (we see Err and
     * add nothing) or sees heap_idx set and takes c out (cancel_one reads
     * it after its own unlock).  Lock order: context, then shard. */
    cpat_ctx_lock(c);
    e = 0;
    if (atomic_load_explicit(&c->err, memory_order_relaxed))
        goto out;
    pthread_mutex_lock(&sh->lock);
    if (sh->len == sh->cap) {
        size_t cap = sh->cap ? 2 * sh->cap : 64;
        struct cpat_ctx **h = realloc(sh->heap, cap * sizeof *h);
        if (!h) {
            e = ENOMEM;
            goto unlock;
        }
        sh->heap = h;
        sh->cap = cap;
    }
    cpat_ctx_ref(c); /* the heap's */
    c->timer_shard = (uint16_t)(sh - shards);
    sh->len++;
    heap_set(sh, sh->len - 1, c);
    sift_up(sh, sh->len - 1);
unlock:
    pthread_mutex_unlock(&sh->lock);
    /* After our shard's lock: see the top. */
    if (!e && c->deadline_ns < atomic_load_explicit(&sleep_until, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&seq, 1, memory_order_relaxed);
        cpat_futex_wake(&seq, 1);
    }
out:
    cpat_ctx_unlock(c);
    return e;
}

void cpat_timer_remove(struct cpat_ctx *c) {
    /* timer_shard was written under c's lock before heap_idx, which the
     * caller saw set after taking and dropping c's lock. */
    struct shard *sh = &shards[c->timer_shard];
    pthread_mutex_lock(&sh->lock);
    size_t i = atomic_load_explicit(&c->heap_idx, memory_order_relaxed);
    if (i)
        heap_take(sh, i - 1);
    pthread_mutex_unlock(&sh->lock);
    if (i)
        cpat_ctx_unref(c); /* the heap's; c's canceller still holds one */
}
