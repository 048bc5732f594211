#include "common/sema.h"
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
        if (atomic_load_explicit(&s->count, memory_order_seq_cst) == 0) {
            cpat_futex_wait(&s->count, 0, NULL);
            slept = true;
        }
    }
    /* Relaxed: a poster that still sees us costs one needless wake syscall,
     * never a lost wake-up. */
    atomic_fetch_sub_explicit(&s->sleepers, 1, memory_order_relaxed);
    return slept;
}
