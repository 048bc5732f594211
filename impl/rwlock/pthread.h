/* pthread rwlock: the platform's pthread_rwlock_t with default attributes
 * (glibc: reader-preferring, PTHREAD_RWLOCK_PREFER_READER_NP, so a stream
 * of overlapping readers can starve a writer).  The baseline every variant
 * is compared with.  Unlock of a lock not held is undefined for
 * pthread_rwlock_unlock, so it is not detected.
 *
 * pthread_wpref: what a C programmer picks when writers must not starve,
 * glibc's PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP: a waiting writer
 * blocks new readers (readers may not take the lock recursively). */
#ifndef CPAT_RWLOCK_PTHREAD_H
#define CPAT_RWLOCK_PTHREAD_H

#include <errno.h>
#include <pthread.h>

#include "cpat/error.h"

struct cpat_rwlock_pthread {
    pthread_rwlock_t l;
};

static inline int cpat_rwlock_pthread_init(struct cpat_rwlock_pthread *l) {
    return pthread_rwlock_init(&l->l, NULL);
}

static inline void cpat_rwlock_pthread_destroy(struct cpat_rwlock_pthread *l) {
    int e = pthread_rwlock_destroy(&l->l);
    if (e)
        cpat_die("pthread_rwlock_destroy", e);
}

static inline void cpat_rwlock_pthread_rdlock(struct cpat_rwlock_pthread *l) {
    int e = pthread_rwlock_rdlock(&l->l);
    if (e)
        cpat_die("pthread_rwlock_rdlock", e);
}

static inline void cpat_rwlock_pthread_wrlock(struct cpat_rwlock_pthread *l) {
    int e = pthread_rwlock_wrlock(&l->l);
    if (e)
        cpat_die("pthread_rwlock_wrlock", e);
}

/* One unlock call serves both modes. */
static inline int cpat_rwlock_pthread_unlock(struct cpat_rwlock_pthread *l) {
    int e = pthread_rwlock_unlock(&l->l);
    if (e)
        cpat_die("pthread_rwlock_unlock", e);
    return 0;
}

static inline int cpat_rwlock_pthread_rdunlock(struct cpat_rwlock_pthread *l) {
    return cpat_rwlock_pthread_unlock(l);
}

static inline int cpat_rwlock_pthread_wrunlock(struct cpat_rwlock_pthread *l) {
    return cpat_rwlock_pthread_unlock(l);
}

/* EBUSY (held in the other mode) becomes EAGAIN; anything else (EAGAIN:
 * too many read locks, EDEADLK) cannot happen in a correct program. */
static inline int cpat_rwlock_pthread_try(int e, const char *call) {
    if (e == 0)
        return 0;
    if (e != EBUSY)
        cpat_die(call, e);
    return EAGAIN;
}

static inline int cpat_rwlock_pthread_tryrd(struct cpat_rwlock_pthread *l) {
    return cpat_rwlock_pthread_try(pthread_rwlock_tryrdlock(&l->l), "pthread_rwlock_tryrdlock");
}

static inline int cpat_rwlock_pthread_trywr(struct cpat_rwlock_pthread *l) {
    return cpat_rwlock_pthread_try(pthread_rwlock_trywrlock(&l->l), "pthread_rwlock_trywrlock");
}

struct cpat_rwlock_pthread_wpref {
    struct cpat_rwlock_pthread p;
};

int cpat_rwlock_pthread_wpref_init(struct cpat_rwlock_pthread_wpref *l);

#define CPAT_RWLOCK_PTHREAD_WPREF_OP(op)                                                           \
    static inline int cpat_rwlock_pthread_wpref_##op(struct cpat_rwlock_pthread_wpref *l) {        \
        return cpat_rwlock_pthread_##op(&l->p);                                                    \
    }
CPAT_RWLOCK_PTHREAD_WPREF_OP(rdunlock)
CPAT_RWLOCK_PTHREAD_WPREF_OP(wrunlock)
CPAT_RWLOCK_PTHREAD_WPREF_OP(tryrd)
CPAT_RWLOCK_PTHREAD_WPREF_OP(trywr)
static inline void cpat_rwlock_pthread_wpref_destroy(struct cpat_rwlock_pthread_wpref *l) {
    cpat_rwlock_pthread_destroy(&l->p);
}
static inline void cpat_rwlock_pthread_wpref_rdlock(struct cpat_rwlock_pthread_wpref *l) {
    cpat_rwlock_pthread_rdlock(&l->p);
}
static inline void cpat_rwlock_pthread_wpref_wrlock(struct cpat_rwlock_pthread_wpref *l) {
    cpat_rwlock_pthread_wrlock(&l->p);
}

#endif
