/* Concurrency Kit peers: ck_spinlock_fas, ck_spinlock_ticket and
 * ck_spinlock_mcs behind cpat's mutex interface, so they run in the same
 * benchmarks and checks.  Built only when libck is found (CPAT_HAVE_CK).
 * CK's atomics are inline assembly that ThreadSanitizer cannot see, so the
 * TSan build leaves the peers out rather than report false races. */
#ifndef CPAT_MUTEX_CK_H
#define CPAT_MUTEX_CK_H

#include <ck_spinlock.h>
#include <errno.h>
#include <stdalign.h>

#include "common/slots.h"

#ifndef CK_F_SPINLOCK_TICKET_TRYLOCK
#error "this Concurrency Kit build has no ck_spinlock_ticket_trylock"
#endif

struct cpat_mutex_ck_fas {
    ck_spinlock_fas_t l;
};
static inline int cpat_mutex_ck_fas_init(struct cpat_mutex_ck_fas *m) {
    ck_spinlock_fas_init(&m->l);
    return 0;
}
static inline void cpat_mutex_ck_fas_destroy(struct cpat_mutex_ck_fas *m) {
    (void)m;
}
static inline void cpat_mutex_ck_fas_lock(struct cpat_mutex_ck_fas *m) {
    ck_spinlock_fas_lock(&m->l);
}
static inline int cpat_mutex_ck_fas_trylock(struct cpat_mutex_ck_fas *m) {
    return ck_spinlock_fas_trylock(&m->l) ? 0 : EAGAIN;
}
static inline int cpat_mutex_ck_fas_unlock(struct cpat_mutex_ck_fas *m) {
    ck_spinlock_fas_unlock(&m->l);
    return 0;
}

struct cpat_mutex_ck_ticket {
    ck_spinlock_ticket_t l;
};
static inline int cpat_mutex_ck_ticket_init(struct cpat_mutex_ck_ticket *m) {
    ck_spinlock_ticket_init(&m->l);
    return 0;
}
static inline void cpat_mutex_ck_ticket_destroy(struct cpat_mutex_ck_ticket *m) {
    (void)m;
}
static inline void cpat_mutex_ck_ticket_lock(struct cpat_mutex_ck_ticket *m) {
    ck_spinlock_ticket_lock(&m->l);
}
static inline int cpat_mutex_ck_ticket_trylock(struct cpat_mutex_ck_ticket *m) {
    return ck_spinlock_ticket_trylock(&m->l) ? 0 : EAGAIN;
}
static inline int cpat_mutex_ck_ticket_unlock(struct cpat_mutex_ck_ticket *m) {
    ck_spinlock_ticket_unlock(&m->l);
    return 0;
}

/* ck_spinlock_mcs takes the caller's queue node; as for cpat's mcs, nodes
 * come from a thread-local pool and the holder's node is kept in the lock. */
#define CPAT_CK_MCS_NODES 8
struct cpat_ck_mcs_pool {
    alignas(64) ck_spinlock_mcs_context_t nodes[CPAT_CK_MCS_NODES];
    unsigned used;
};
extern _Thread_local struct cpat_ck_mcs_pool cpat_ck_mcs_pool;

struct cpat_mutex_ck_mcs {
    ck_spinlock_mcs_t l;
    ck_spinlock_mcs_context_t *owner; /* plain: only the holder touches it */
};
static inline int cpat_mutex_ck_mcs_init(struct cpat_mutex_ck_mcs *m) {
    ck_spinlock_mcs_init(&m->l);
    m->owner = NULL;
    return 0;
}
static inline void cpat_mutex_ck_mcs_destroy(struct cpat_mutex_ck_mcs *m) {
    (void)m;
}
static inline ck_spinlock_mcs_context_t *cpat_ck_mcs_node_get(void) {
    return &cpat_ck_mcs_pool.nodes[cpat_slot_take(&cpat_ck_mcs_pool.used, CPAT_CK_MCS_NODES,
                                                  "cpat_mutex_ck_mcs_lock")];
}
static inline void cpat_mutex_ck_mcs_lock(struct cpat_mutex_ck_mcs *m) {
    ck_spinlock_mcs_context_t *n = cpat_ck_mcs_node_get();
    ck_spinlock_mcs_lock(&m->l, n);
    m->owner = n;
}
static inline int cpat_mutex_ck_mcs_trylock(struct cpat_mutex_ck_mcs *m) {
    ck_spinlock_mcs_context_t *n = cpat_ck_mcs_node_get();
    if (!ck_spinlock_mcs_trylock(&m->l, n)) {
        cpat_slot_give(&cpat_ck_mcs_pool.used, CPAT_SLOT_INDEX(cpat_ck_mcs_pool.nodes, n),
                       CPAT_CK_MCS_NODES, "cpat_mutex_ck_mcs_unlock");
        return EAGAIN;
    }
    m->owner = n;
    return 0;
}
static inline int cpat_mutex_ck_mcs_unlock(struct cpat_mutex_ck_mcs *m) {
    ck_spinlock_mcs_context_t *n = m->owner;
    if (!n)
        return EINVAL;
    m->owner = NULL;
    ck_spinlock_mcs_unlock(&m->l, n);
    cpat_slot_give(&cpat_ck_mcs_pool.used, CPAT_SLOT_INDEX(cpat_ck_mcs_pool.nodes, n),
                   CPAT_CK_MCS_NODES, "cpat_mutex_ck_mcs_unlock");
    return 0;
}

#endif
