#include "rwlock/pthread.h"
#include "rwlock/ops.h"

CPAT_RWLOCK_OPS(pthread, "variant", CPAT_RWLOCK_PARKS,
                "pthread_rwlock_t, default attributes (reader-preferring in glibc)");

int cpat_rwlock_pthread_wpref_init(struct cpat_rwlock_pthread_wpref *l) {
    pthread_rwlockattr_t a;
    int e = pthread_rwlockattr_init(&a);
    if (e)
        return e;
    e = pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (e == 0)
        e = pthread_rwlock_init(&l->p.l, &a);
    pthread_rwlockattr_destroy(&a);
    return e;
}

CPAT_RWLOCK_OPS(pthread_wpref, "variant", CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "pthread_rwlock_t, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP (glibc)");
