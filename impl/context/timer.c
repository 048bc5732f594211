/* One timer thread per process fires every context deadline from a
 * min-heap (Go keeps timers in per-P heaps served by the scheduler; a C
 * process has no scheduler, so one thread does it).
 *
 * Under `lock`: the heap (contexts by deadline; each holds a reference and
 * knows its position in c->heap_idx, so a cancelled context leaves in
 * O(log n) and the heap never grows with contexts that are gone).
 * `seq` is the futex word the thread sleeps on until the earliest
 * deadline: an insert that makes a new earliest bumps it (under the lock)
 * and wakes the thread, so the sleep is always for the right deadline.
 * The thread asks the kernel for 1 ns of timer slack (the default 50 us
 * would be added to every deadline), so a deadline fires as close after
 * it passes as a timed futex wait can return.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "common/clock.h"
#include "common/futex.h"
#include "context/context.h"
#include "cpat/error.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct cpat_ctx **heap;
static size_t heap_len, heap_cap;
static bool started;
static _Atomic uint32_t seq;
/* The deadline the thread sleeps until (UINT64_MAX: none); 0 while it is
 * awake and will look at the heap again anyway.  An insert wakes it only
 * for an earlier deadline, so with_timeout + cancel in a loop makes no
 * syscall: the thread wakes once at the old deadline and finds nothing. */
static uint64_t sleep_until;

static void heap_set(size_t i, struct cpat_ctx *c) {
    heap[i] = c;
    atomic_store_explicit(&c->heap_idx, i + 1, memory_order_relaxed);
}

static void sift_up(size_t i) {
    struct cpat_ctx *c = heap[i];
    while (i > 0 && heap[(i - 1) / 2]->deadline_ns > c->deadline_ns) {
        heap_set(i, heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(i, c);
}

static void sift_down(size_t i) {
    struct cpat_ctx *c = heap[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= heap_len)
            break;
        if (k + 1 < heap_len && heap[k + 1]->deadline_ns < heap[k]->deadline_ns)
            k++;
        if (heap[k]->deadline_ns >= c->deadline_ns)
            break;
        heap_set(i, heap[k]);
        i = k;
    }
    heap_set(i, c);
}

/* Under the lock: takes heap[i] out. */
static void heap_take(size_t i) {
    atomic_store_explicit(&heap[i]->heap_idx, 0, memory_order_relaxed);
    struct cpat_ctx *last = heap[--heap_len];
    if (i == heap_len)
        return;
    heap_set(i, last);
    if (i > 0 && heap[(i - 1) / 2]->deadline_ns > last->deadline_ns)
        sift_up(i);
    else
        sift_down(i);
}

static void *timer_main(void *arg) {
    (void)arg;
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    pthread_mutex_lock(&lock);
    for (;;) {
        uint64_t now = cpat_now_ns();
        if (heap_len && heap[0]->deadline_ns <= now) {
            struct cpat_ctx *c = heap[0];
            heap_take(0); /* its reference is now ours */
            pthread_mutex_unlock(&lock);
            cpat_ctx_cancel_with(c, ETIMEDOUT, ETIMEDOUT);
            cpat_ctx_unref(c);
            pthread_mutex_lock(&lock);
            continue;
        }
        uint32_t s = atomic_load_explicit(&seq, memory_order_relaxed);
        uint64_t until = heap_len ? heap[0]->deadline_ns : UINT64_MAX;
        sleep_until = until;
        pthread_mutex_unlock(&lock);
        struct timespec ts = cpat_ns_to_timespec(until);
        /* Any return re-checks the heap: the deadline, a new earliest (seq
         * changed), a spurious wake or EINTR. */
        cpat_futex_wait(&seq, s, until == UINT64_MAX ? NULL : &ts);
        pthread_mutex_lock(&lock);
        sleep_until = 0;
    }
    return NULL;
}

/* Under the lock: the thread, on the first deadline.  Signals are blocked
 * in it: they belong to the program's threads. */
static int start(void) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    int e = pthread_create(&t, NULL, timer_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e)
        return e;
    pthread_detach(t);
    started = true;
    return 0;
}

int cpat_timer_add(struct cpat_ctx *c) {
    /* Under c's lock, so that a cancel either comes first (we see Err and
     * add nothing) or sees heap_idx set and takes c out (cancel_one reads
     * it after its own unlock).  Lock order: context, then timer. */
    cpat_ctx_lock(c);
    int e = 0;
    if (atomic_load_explicit(&c->err, memory_order_relaxed))
        goto out;
    pthread_mutex_lock(&lock);
    if (!started && (e = start()) != 0)
        goto unlock;
    if (heap_len == heap_cap) {
        size_t cap = heap_cap ? 2 * heap_cap : 64;
        struct cpat_ctx **h = realloc(heap, cap * sizeof *h);
        if (!h) {
            e = ENOMEM;
            goto unlock;
        }
        heap = h;
        heap_cap = cap;
    }
    cpat_ctx_ref(c); /* the heap's */
    heap_len++;
    heap_set(heap_len - 1, c);
    sift_up(heap_len - 1);
    if (c->deadline_ns < sleep_until) { /* the thread sleeps for a later one */
        atomic_store_explicit(&seq, atomic_load_explicit(&seq, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        cpat_futex_wake(&seq, 1);
    }
unlock:
    pthread_mutex_unlock(&lock);
out:
    cpat_ctx_unlock(c);
    return e;
}

void cpat_timer_remove(struct cpat_ctx *c) {
    pthread_mutex_lock(&lock);
    size_t i = atomic_load_explicit(&c->heap_idx, memory_order_relaxed);
    if (i)
        heap_take(i - 1);
    pthread_mutex_unlock(&lock);
    if (i)
        cpat_ctx_unref(c); /* the heap's; c's canceller still holds one */
}
