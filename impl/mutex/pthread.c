#include "mutex/pthread.h"
#include "mutex/ops.h"

CPAT_MUTEX_OPS(pthread, "variant", CPAT_MUTEX_PARKS, "pthread_mutex_t, default attributes");

int cpat_mutex_pthread_adaptive_init(struct cpat_mutex_pthread_adaptive *m) {
    pthread_mutexattr_t a;
    int e = pthread_mutexattr_init(&a);
    if (e)
        return e;
    e = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
    if (e == 0)
        e = pthread_mutex_init(&m->p.m, &a);
    pthread_mutexattr_destroy(&a);
    return e;
}

CPAT_MUTEX_OPS(pthread_adaptive, "variant", CPAT_MUTEX_PARKS,
               "pthread_mutex_t, PTHREAD_MUTEX_ADAPTIVE_NP (glibc: bounded adaptive spin, then "
               "park)");
