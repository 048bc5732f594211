#include "common/sema.h"
#include "common/clock.h"
#include "common/spin.h"

/* Polls for a token before parking: a few microseconds, a fraction of one
 * futex round trip (as the futex mutex's FUTEX_MUTEX_SPINS). */
#define SEMA_SPINS 128

/* Futex bits of the two kinds of sleeper: a kick wakes only the second. */
#define SEMA_PLAIN_BIT 1u
#define SEMA_STOP_BIT  2u

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
        if (atomic_load_explicit(&s->count, memory_order_seq_cst) == 0) {
            cpat_futex_wait_bits(&s->count, 0, NULL, SEMA_PLAIN_BIT);
            slept = true;
        }
    }
    /* Relaxed: a poster that still sees us costs one needless wake syscall,
     * never a lost wake-up. */
    atomic_fetch_sub_explicit(&s->sleepers, 1, memory_order_relaxed);
    return slept;
}

int cpat_sema_wait_until(struct cpat_sema *s, uint64_t deadline_ns, struct cpat_stop *stop) {
    for (int i = 0; i < SEMA_SPINS; i++) {
        if (cpat_sema_trywait(s) == 0)
            return 0;
        cpat_cpu_relax();
    }
    struct timespec ts = cpat_ns_to_timespec(deadline_ns);
    const struct timespec *dl = deadline_ns == UINT64_MAX ? NULL : &ts;
    atomic_fetch_add_explicit(&s->sleepers, 1, memory_order_seq_cst); /* as in wait_polls */
    int r = 0;
    while (cpat_sema_trywait(s) != 0) {
        if ((r = cpat_stop_before_sleep(stop, deadline_ns)))
            break;
        if (atomic_load_explicit(&s->count, memory_order_seq_cst) == 0)
            cpat_futex_wait_bits(&s->count, 0, dl, SEMA_STOP_BIT); /* ETIMEDOUT: the loop looks */
        cpat_stop_awake(stop);
    }
    atomic_fetch_sub_explicit(&s->sleepers, 1, memory_order_relaxed);
    return r;
}

static void wake_stop_sleepers(void *s) {
    cpat_futex_wake_bits(&((struct cpat_sema *)s)->count, CPAT_FUTEX_WAKE_ALL, SEMA_STOP_BIT);
}

void cpat_sema_kick(struct cpat_sema *s, struct cpat_stop *stop) {
    cpat_stop_kick_until_awake(stop, wake_stop_sleepers, s);
}
