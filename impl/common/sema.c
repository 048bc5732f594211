#include "common/sema.h"
#include "common/clock.h"
#include "common/spin.h"

/* Polls for a token before parking: a few microseconds, a fraction of one
 * futex round trip (as the futex mutex's FUTEX_MUTEX_SPINS). */
#define SEMA_SPINS 128

void cpat_sema_wait(struct cpat_sema *s) {
    cpat_sema_wait_polls(s, SEMA_SPINS);
}

bool cpat_sema_wait_polls(struct cpat_sema *s, int polls) {
    for (int i = 0; i < polls; i++) {
        if (cpat_sema_trywait(s) == 0)
            return false;
        cpat_cpu_relax();
    }
    /* Record ourselves before the last look at count (seq_cst: the Dekker
     * pair with post, see cpat_sema_post). */
    atomic_fetch_add_explicit(&s->sleepers, 1, memory_order_seq_cst);
    bool slept = false;
    while (cpat_sema_trywait(s) != 0) {
        /* Sleep while no token is left.  Every return -- a wake, a spurious
         * wake, EINTR, or the count already changed -- loops to trywait,
         * which looks again: a woken sleeper may also find that a spinning
         * thread took the token first. */
        uint32_t c = atomic_load_explicit(&s->count, memory_order_seq_cst);
        if ((c & CPAT_SEMA_TOKENS) == 0) {
            cpat_futex_wait(&s->count, c, NULL); /* a kick changes c: we loop, and sleep again */
            slept = true;
        }
    }
    /* Relaxed: a poster that still sees us costs one needless wake syscall,
     * never a lost wake-up. */
    atomic_fetch_sub_explicit(&s->sleepers, 1, memory_order_relaxed);
    return slept;
}

int cpat_sema_wait_until(struct cpat_sema *s, uint64_t deadline_ns, const struct cpat_stop *stop) {
    for (int i = 0; i < SEMA_SPINS; i++) {
        if (cpat_sema_trywait(s) == 0)
            return 0;
        cpat_cpu_relax();
    }
    struct timespec ts = cpat_ns_to_timespec(deadline_ns);
    const struct timespec *dl = deadline_ns == UINT64_MAX ? NULL : &ts;
    atomic_fetch_add_explicit(&s->sleepers, 1, memory_order_seq_cst);
    int r = 0;
    while (cpat_sema_trywait(s) != 0) {
        /* The word first, then stop: a kick after this load changes the
         * word and the futex wait returns at once; a kick before it is a
         * release we acquire here, so its waker's stop store is visible. */
        uint32_t c = atomic_load_explicit(&s->count, memory_order_seq_cst);
        if (c & CPAT_SEMA_TOKENS)
            continue;
        if (cpat_stop_is_set(stop)) {
            r = ECANCELED;
            break;
        }
        if (dl && cpat_now_ns() >= deadline_ns) {
            r = ETIMEDOUT;
            break;
        }
        cpat_futex_wait(&s->count, c, dl); /* ETIMEDOUT is looked at by the loop */
    }
    atomic_fetch_sub_explicit(&s->sleepers, 1, memory_order_relaxed);
    return r;
}
