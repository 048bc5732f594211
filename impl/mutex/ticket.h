/* ticket mutex: FIFO spin lock.
 *
 * m->next:  the next ticket to hand out (lockers fetch_add it)
 * m->owner: the ticket now served; only the holder advances it
 * Unlocked iff owner == next.  Both wrap around modulo 2^32.
 *
 * A waiter spins on owner, pausing in proportion to its distance from the
 * head of the queue (it cannot be served before those ahead of it), and
 * yields once it has waited long (a preempted thread ahead of it would
 * otherwise be spun on for a whole time slice).
 */
#ifndef CPAT_MUTEX_TICKET_H
#define CPAT_MUTEX_TICKET_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/spin.h"

struct cpat_mutex_ticket {
    _Atomic uint32_t next;
    _Atomic uint32_t owner;
};

static inline int cpat_mutex_ticket_init(struct cpat_mutex_ticket *m) {
    atomic_init(&m->next, 0);
    atomic_init(&m->owner, 0);
    return 0;
}

static inline void cpat_mutex_ticket_destroy(struct cpat_mutex_ticket *m) {
    (void)m;
}

void cpat_mutex_ticket_wait(struct cpat_mutex_ticket *m, uint32_t ticket);

static inline void cpat_mutex_ticket_lock(struct cpat_mutex_ticket *m) {
    /* Relaxed: the ticket orders nothing; the acquire load of owner does. */
    uint32_t t = atomic_fetch_add_explicit(&m->next, 1, memory_order_relaxed);
    /* Acquire pairs with the release store of owner in unlock. */
    if (atomic_load_explicit(&m->owner, memory_order_acquire) != t)
        cpat_mutex_ticket_wait(m, t);
}

static inline int cpat_mutex_ticket_trylock(struct cpat_mutex_ticket *m) {
    /* Acquire pairs with the release store of owner in unlock: seeing
     * owner == o means the holder of ticket o-1 is done. */
    uint32_t o = atomic_load_explicit(&m->owner, memory_order_acquire);
    uint32_t n = o;
    /* Take ticket o only if nobody holds or waits (next == owner). */
    return atomic_compare_exchange_strong_explicit(&m->next, &n, o + 1, memory_order_relaxed,
                                                   memory_order_relaxed)
               ? 0
               : EAGAIN;
}

static inline int cpat_mutex_ticket_unlock(struct cpat_mutex_ticket *m) {
    /* owner is written only by the holder: relaxed reads suffice. */
    uint32_t o = atomic_load_explicit(&m->owner, memory_order_relaxed);
    if (o == atomic_load_explicit(&m->next, memory_order_relaxed))
        return EINVAL; /* no ticket outstanding: not locked */
    /* Release pairs with the acquire loads of owner in lock/trylock/wait. */
    atomic_store_explicit(&m->owner, o + 1, memory_order_release);
    return 0;
}

#endif
