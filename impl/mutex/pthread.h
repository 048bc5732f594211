/* pthread mutex: the platform's default mutex (glibc: a futex lock with no
 * spinning, PTHREAD_MUTEX_NORMAL).  The baseline every variant is compared
 * with.  Unlock of an unlocked NORMAL mutex is undefined, so it is not
 * detected. */
#ifndef CPAT_MUTEX_PTHREAD_H
#define CPAT_MUTEX_PTHREAD_H

#include <errno.h>
#include <pthread.h>

#include "cpat/error.h"

struct cpat_mutex_pthread {
    pthread_mutex_t m;
};

static inline int cpat_mutex_pthread_init(struct cpat_mutex_pthread *m) {
    return pthread_mutex_init(&m->m, NULL);
}

static inline void cpat_mutex_pthread_destroy(struct cpat_mutex_pthread *m) {
    int e = pthread_mutex_destroy(&m->m);
    if (e)
        cpat_die("pthread_mutex_destroy", e);
}

static inline void cpat_mutex_pthread_lock(struct cpat_mutex_pthread *m) {
    int e = pthread_mutex_lock(&m->m);
    if (e)
        cpat_die("pthread_mutex_lock", e);
}

static inline int cpat_mutex_pthread_trylock(struct cpat_mutex_pthread *m) {
    int e = pthread_mutex_trylock(&m->m);
    if (e == 0)
        return 0;
    if (e != EBUSY)
        cpat_die("pthread_mutex_trylock", e);
    return EAGAIN;
}

static inline int cpat_mutex_pthread_unlock(struct cpat_mutex_pthread *m) {
    int e = pthread_mutex_unlock(&m->m);
    if (e)
        cpat_die("pthread_mutex_unlock", e);
    return 0;
}

#endif
