/* Concurrency Kit peers: ck_rwlock and ck_brlock behind cpat's rwlock
 * interface.  Built only when libck is found (CPAT_HAVE_CK); the TSan build
 * leaves them out (CK's atomics are inline assembly TSan cannot see).
 *
 * Both are writer-preferring spin locks: a writer raises its flag first,
 * then waits for the readers inside to leave, while new readers wait for
 * the flag to drop.  Neither detects a bad unlock; the wrappers look at
 * CK's own fields (the writer flag, the reader count) to return EINVAL.
 *
 * ck_brlock ("big reader" lock) needs every reading thread registered with
 * the lock, owning a ck_brlock_reader record.  Here each lock embeds
 * CPAT_CK_BRLOCK_READERS cache-line-padded records, one per small thread id
 * (common/thread_id.h), all registered at init: registering takes the write
 * lock, so registering lazily, at a thread's first read, would make that
 * reader wait for the readers inside -- readers excluding readers.  The
 * price is that every writer walks all the records.  A thread whose id has
 * no record is misuse (cpat_misuse: too many threads).
 */
#ifndef CPAT_RWLOCK_CK_H
#define CPAT_RWLOCK_CK_H

#include <ck_brlock.h>
#include <ck_rwlock.h>
#include <errno.h>
#include <stdalign.h>

#include "common/thread_id.h"
#include "cpat/error.h"

struct cpat_rwlock_ck_rwlock {
    ck_rwlock_t l;
};
static inline int cpat_rwlock_ck_rwlock_init(struct cpat_rwlock_ck_rwlock *l) {
    ck_rwlock_init(&l->l);
    return 0;
}
static inline void cpat_rwlock_ck_rwlock_destroy(struct cpat_rwlock_ck_rwlock *l) {
    (void)l;
}
static inline void cpat_rwlock_ck_rwlock_rdlock(struct cpat_rwlock_ck_rwlock *l) {
    ck_rwlock_read_lock(&l->l);
}
static inline int cpat_rwlock_ck_rwlock_rdunlock(struct cpat_rwlock_ck_rwlock *l) {
    if (ck_pr_load_uint(&l->l.n_readers) == 0)
        return EINVAL;
    ck_rwlock_read_unlock(&l->l);
    return 0;
}
static inline void cpat_rwlock_ck_rwlock_wrlock(struct cpat_rwlock_ck_rwlock *l) {
    ck_rwlock_write_lock(&l->l);
}
static inline int cpat_rwlock_ck_rwlock_wrunlock(struct cpat_rwlock_ck_rwlock *l) {
    if (ck_pr_load_uint(&l->l.writer) == 0)
        return EINVAL;
    ck_rwlock_write_unlock(&l->l);
    return 0;
}
static inline int cpat_rwlock_ck_rwlock_tryrd(struct cpat_rwlock_ck_rwlock *l) {
    return ck_rwlock_read_trylock(&l->l) ? 0 : EAGAIN;
}
static inline int cpat_rwlock_ck_rwlock_trywr(struct cpat_rwlock_ck_rwlock *l) {
    return ck_rwlock_write_trylock(&l->l) ? 0 : EAGAIN;
}

#define CPAT_CK_BRLOCK_READERS 64

struct cpat_ck_brlock_reader {
    alignas(64) ck_brlock_reader_t r;
};

struct cpat_rwlock_ck_brlock {
    ck_brlock_t l;
    struct cpat_ck_brlock_reader readers[CPAT_CK_BRLOCK_READERS];
};

static inline int cpat_rwlock_ck_brlock_init(struct cpat_rwlock_ck_brlock *l) {
    ck_brlock_init(&l->l);
    for (int i = 0; i < CPAT_CK_BRLOCK_READERS; i++)
        ck_brlock_read_register(&l->l, &l->readers[i].r);
    return 0;
}
static inline void cpat_rwlock_ck_brlock_destroy(struct cpat_rwlock_ck_brlock *l) {
    (void)l;
}

/* The calling thread's reader record. */
static inline ck_brlock_reader_t *cpat_rwlock_ck_brlock_me(struct cpat_rwlock_ck_brlock *l) {
    unsigned id = cpat_thread_id();
    if (id >= CPAT_CK_BRLOCK_READERS)
        cpat_misuse("cpat_rwlock_ck_brlock_rdlock", "more threads read ck_brlock locks than it has "
                                                    "reader records");
    return &l->readers[id].r;
}

static inline void cpat_rwlock_ck_brlock_rdlock(struct cpat_rwlock_ck_brlock *l) {
    ck_brlock_read_lock(&l->l, cpat_rwlock_ck_brlock_me(l));
}
static inline int cpat_rwlock_ck_brlock_rdunlock(struct cpat_rwlock_ck_brlock *l) {
    ck_brlock_reader_t *me = cpat_rwlock_ck_brlock_me(l);
    if (ck_pr_load_uint(&me->n_readers) == 0)
        return EINVAL;
    ck_brlock_read_unlock(me);
    return 0;
}
static inline void cpat_rwlock_ck_brlock_wrlock(struct cpat_rwlock_ck_brlock *l) {
    ck_brlock_write_lock(&l->l);
}
static inline int cpat_rwlock_ck_brlock_wrunlock(struct cpat_rwlock_ck_brlock *l) {
    if (ck_pr_load_uint(&l->l.writer) == 0)
        return EINVAL;
    ck_brlock_write_unlock(&l->l);
    return 0;
}
/* A factor of 1: give up at the first sign of a holder instead of polling. */
static inline int cpat_rwlock_ck_brlock_tryrd(struct cpat_rwlock_ck_brlock *l) {
    return ck_brlock_read_trylock(&l->l, cpat_rwlock_ck_brlock_me(l), 1) ? 0 : EAGAIN;
}
static inline int cpat_rwlock_ck_brlock_trywr(struct cpat_rwlock_ck_brlock *l) {
    return ck_brlock_write_trylock(&l->l, 1) ? 0 : EAGAIN;
}

#endif
