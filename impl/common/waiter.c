/* The waiter's slow path: yield, then sleep the way w->kind says (see
 * waiter.h for the states). */
#include "common/waiter.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Is a PU spare: are at most as many threads runnable, machine-wide, as
 * there are PUs online?  The kernel's count is the fourth field of
 * /proc/loadavg ("runnable/total"), summed over the CPUs when read (a
 * pread, ~1-2 us), so each thread asks at most once per SPARE_TTL_NS and
 * keeps the answer.  Without /proc it says yes: the waiter polls as it
 * did before it asked. */
#define SPARE_TTL_NS 1000000
static int loadavg_fd = -1;
static long online_pus;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static void spare_init(void) {
    loadavg_fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    online_pus = sysconf(_SC_NPROCESSORS_ONLN);
}

static bool spare_pu(uint64_t now) {
    static __thread uint64_t asked_at;
    static __thread bool spare = true;
    if (asked_at && now - asked_at < SPARE_TTL_NS)
        return spare;
    asked_at = now;
    pthread_once(&spare_once, spare_init);
    char buf[128];
    ssize_t n = loadavg_fd < 0 ? -1 : pread(loadavg_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return spare = true;
    buf[n] = 0;
    /* "0.52 0.58 0.59 3/211 4242": the runnable count follows the third space. */
    char *p = buf;
    for (int f = 0; f < 3 && p; f++)
        if ((p = strchr(p, ' ')) != NULL)
            p++;
    long runnable = p ? strtol(p, NULL, 10) : 0;
    return spare = runnable <= online_pus || online_pus <= 0;
}

bool cpat_waiter_poll_on(uint64_t *t0) {
    uint64_t now = cpat_now_ns();
    if (!*t0)
        *t0 = now; /* the first CPAT_WAITER_POLLS_PER_YIELD polls: no question */
    else if (now - *t0 >= CPAT_WAITER_POLL_NS ||
             (now - *t0 >= CPAT_WAITER_POLL_NS / 4 && !spare_pu(now)))
        return false;
    sched_yield();
    return true;
}

/* Sets PARKED on a WAITING or CLAIMED state s; false once DONE (or
 * CANCELLED, which only we store) is there. */
static bool set_parked(struct cpat_waiter *w, uint32_t *s) {
    while (CPAT_WAITER_STATE(*s) <= CPAT_WAITER_CLAIMED) {
        if (*s & CPAT_WAITER_PARKED)
            return true;
        if (atomic_compare_exchange_weak_explicit(&w->state, s, *s | CPAT_WAITER_PARKED,
                                                  memory_order_acquire, memory_order_acquire)) {
            *s |= CPAT_WAITER_PARKED;
            return true;
        }
    }
    return false; /* the failed CAS's acquire load saw DONE */
}

/* At or past the deadline: withdraw, or learn that a waker won and wait for
 * its DONE without a deadline (it is inside a short critical section). */
static bool timed_out(struct cpat_waiter *w, uint64_t deadline_ns) {
    return deadline_ns != UINT64_MAX && cpat_now_ns() >= deadline_ns && cpat_waiter_cancel(w);
}

static int sleep_futex(struct cpat_waiter *w, uint64_t deadline_ns) {
    struct timespec ts = cpat_ns_to_timespec(deadline_ns);
    for (;;) {
        uint32_t s = atomic_load_explicit(&w->state, memory_order_acquire);
        if (s == CPAT_WAITER_DONE) /* acquire: pairs with cpat_waiter_done's release */
            return 0;
        if (timed_out(w, deadline_ns))
            return ETIMEDOUT;
        if (!set_parked(w, &s))
            continue;
        /* Re-checked by the kernel against the word, and by us on every
         * return: a wake, a spurious wake, EINTR, or the word changed. */
        bool claimed = CPAT_WAITER_STATE(s) == CPAT_WAITER_CLAIMED;
        cpat_futex_wait(&w->state, s, deadline_ns == UINT64_MAX || claimed ? NULL : &ts);
    }
}

static int sleep_condvar(struct cpat_waiter *w, uint64_t deadline_ns) {
    struct timespec ts = cpat_ns_to_timespec(deadline_ns);
    int r = 0;
    pthread_mutex_lock(&w->m);
    uint32_t s = atomic_load_explicit(&w->state, memory_order_acquire);
    if (set_parked(w, &s)) {
        /* DONE is stored under w->m once PARKED is set: no missed signal. */
        while ((s = atomic_load_explicit(&w->state, memory_order_acquire)) != CPAT_WAITER_DONE) {
            if (deadline_ns == UINT64_MAX || CPAT_WAITER_STATE(s) == CPAT_WAITER_CLAIMED) {
                pthread_cond_wait(&w->c, &w->m);
            } else if (pthread_cond_clockwait(&w->c, &w->m, CLOCK_MONOTONIC, &ts) == ETIMEDOUT &&
                       cpat_waiter_cancel(w)) {
                r = ETIMEDOUT;
                break;
            }
        }
    }
    pthread_mutex_unlock(&w->m);
    return r;
}

int cpat_waiter_sleep(struct cpat_waiter *w, uint64_t deadline_ns) {
    /* A few yields first: on an oversubscribed machine the partner may
     * just need the CPU, and a yield is far cheaper than a sleep. */
    for (unsigned i = 0; i < CPAT_WAITER_YIELDS || w->kind == CPAT_WAIT_SPIN; i++) {
        if (atomic_load_explicit(&w->state, memory_order_acquire) == CPAT_WAITER_DONE)
            return 0;
        if (timed_out(w, deadline_ns))
            return ETIMEDOUT;
        sched_yield();
    }
    return w->kind == CPAT_WAIT_FUTEX ? sleep_futex(w, deadline_ns) : sleep_condvar(w, deadline_ns);
}
