/* mcs mutex: Mellor-Crummey & Scott queue lock.  FIFO; each waiter spins on
 * its own queue node, so a hand-off moves one cache line, not a stampede.
 *
 * m->tail: NULL when unlocked, else the last node queued (the holder's node
 *          when nobody waits).
 * node->next:   the successor, published by it after it swapped into tail.
 * node->locked: 1 while the node's thread must wait; its predecessor stores
 *               0 to hand the lock over.
 * m->owner: the holder's node, written after acquiring and read by unlock;
 *           plain, since only the holder touches it.
 *
 * The direct interface takes no node argument: each thread draws nodes from
 * a small thread-local pool (CPAT_MCS_NODES deep nesting of MCS locks).  So,
 * unlike Go's Mutex, an MCS lock must be unlocked by the thread that locked
 * it; another thread's unlock aborts with a message.
 */
#ifndef CPAT_MUTEX_MCS_H
#define CPAT_MUTEX_MCS_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/slots.h"
#include "common/spin.h"

#define CPAT_MCS_NODES 8

struct cpat_mcs_node {
    alignas(64) _Atomic(struct cpat_mcs_node *) next;
    _Atomic uint32_t locked;
};

struct cpat_mutex_mcs {
    _Atomic(struct cpat_mcs_node *) tail;
    alignas(64) struct cpat_mcs_node *owner; /* off the line arriving lockers swap */
};

/* The calling thread's node pool; bit i of `used` set = nodes[i] in use. */
struct cpat_mcs_pool {
    struct cpat_mcs_node nodes[CPAT_MCS_NODES];
    unsigned used;
};
extern _Thread_local struct cpat_mcs_pool cpat_mcs_pool;

static inline struct cpat_mcs_node *cpat_mcs_node_get(void) {
    return &cpat_mcs_pool
                .nodes[cpat_slot_take(&cpat_mcs_pool.used, CPAT_MCS_NODES, "cpat_mutex_mcs_lock")];
}

static inline void cpat_mcs_node_put(struct cpat_mcs_node *n) {
    cpat_slot_give(&cpat_mcs_pool.used, CPAT_SLOT_INDEX(cpat_mcs_pool.nodes, n), CPAT_MCS_NODES,
                   "cpat_mutex_mcs_unlock");
}

static inline int cpat_mutex_mcs_init(struct cpat_mutex_mcs *m) {
    atomic_init(&m->tail, NULL);
    m->owner = NULL;
    return 0;
}

static inline void cpat_mutex_mcs_destroy(struct cpat_mutex_mcs *m) {
    (void)m;
}

void cpat_mutex_mcs_wait(struct cpat_mcs_node *pred, struct cpat_mcs_node *me);
void cpat_mutex_mcs_pass(struct cpat_mutex_mcs *m, struct cpat_mcs_node *me);

static inline void cpat_mutex_mcs_lock(struct cpat_mutex_mcs *m) {
    struct cpat_mcs_node *me = cpat_mcs_node_get();
    atomic_store_explicit(&me->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&me->locked, 1, memory_order_relaxed);
    /* Enqueue.  Release publishes the two stores above to the successor that
     * will swap our node out of tail; acquire pairs with the release CAS of
     * tail to NULL in unlock when we find the lock free. */
    struct cpat_mcs_node *pred = atomic_exchange_explicit(&m->tail, me, memory_order_acq_rel);
    if (pred)
        cpat_mutex_mcs_wait(pred, me);
    m->owner = me;
}

static inline int cpat_mutex_mcs_trylock(struct cpat_mutex_mcs *m) {
    struct cpat_mcs_node *me = cpat_mcs_node_get();
    struct cpat_mcs_node *expect = NULL;
    atomic_store_explicit(&me->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&me->locked, 1, memory_order_relaxed);
    /* NULL -> me only if free; orders as the exchange in lock. */
    if (!atomic_compare_exchange_strong_explicit(&m->tail, &expect, me, memory_order_acq_rel,
                                                 memory_order_relaxed)) {
        cpat_mcs_node_put(me);
        return EAGAIN;
    }
    m->owner = me;
    return 0;
}

static inline int cpat_mutex_mcs_unlock(struct cpat_mutex_mcs *m) {
    struct cpat_mcs_node *me = m->owner;
    if (!me)
        return EINVAL;
    m->owner = NULL;
    cpat_mutex_mcs_pass(m, me);
    cpat_mcs_node_put(me);
    return 0;
}

#endif
