#include "mutex/mcs.h"
#include "mutex/ops.h"

_Thread_local struct cpat_mcs_pool cpat_mcs_pool;

/* Polls of our own node (one PAUSE each, ~35 ns) before we start yielding
 * to a predecessor that has likely been preempted. */
#define MCS_POLLS_BEFORE_YIELD 512

void cpat_mutex_mcs_wait(struct cpat_mcs_node *pred, struct cpat_mcs_node *me) {
    /* Link behind pred.  Release: our node's initialisation is visible to
     * pred's thread, which reads next with acquire in cpat_mutex_mcs_pass. */
    atomic_store_explicit(&pred->next, me, memory_order_release);
    /* Acquire pairs with the release store of locked = 0 in pass. */
    for (uint32_t polls = 0; atomic_load_explicit(&me->locked, memory_order_acquire); polls++)
        cpat_poll_wait(polls, MCS_POLLS_BEFORE_YIELD);
}

void cpat_mutex_mcs_pass(struct cpat_mutex_mcs *m, struct cpat_mcs_node *me) {
    /* Acquire pairs with the successor's release store of me->next. */
    struct cpat_mcs_node *next = atomic_load_explicit(&me->next, memory_order_acquire);
    if (!next) {
        /* No successor visible: me -> NULL on tail frees the lock.  Release
         * pairs with the acquire exchange/CAS of the next locker. */
        struct cpat_mcs_node *expect = me;
        if (atomic_compare_exchange_strong_explicit(&m->tail, &expect, NULL, memory_order_release,
                                                    memory_order_relaxed))
            return;
        /* A successor swapped into tail but has not linked yet: wait for it. */
        for (uint32_t polls = 0; !(next = atomic_load_explicit(&me->next, memory_order_acquire));
             polls++)
            cpat_poll_wait(polls, MCS_POLLS_BEFORE_YIELD);
    }
    /* Hand over.  Release pairs with the acquire load of locked in wait:
     * our critical section happens-before the successor's. */
    atomic_store_explicit(&next->locked, 0, memory_order_release);
}

CPAT_MUTEX_OPS(mcs, "variant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_FIFO,
               "MCS queue lock: FIFO, each waiter spins on its own line");
