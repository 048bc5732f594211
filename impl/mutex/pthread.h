/* pthread mutex: the platform's default mutex (glibc: a futex lock with no
 * spinning, PTHREAD_MUTEX_NORMAL).  The baseline every variant is compared
 * with.  Unlock of an unlocked NORMAL mutex is undefined, so it is not
 * detected.
 *
 * pthread_adaptive: what a C programmer reaches for when the default parks
 * too early, glibc's PTHREAD_MUTEX_ADAPTIVE_NP: a locker spins up to
 * ~twice its recent average number of spins (at most 100 tries, or the
 * glibc.pthread.mutex_spin_count tunable) before it parks. */
#ifndef CPAT_MUTEX_PTHREAD_H
#define CPAT_MUTEX_PTHREAD_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "common/stop.h"
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

struct cpat_mutex_pthread_adaptive {
    struct cpat_mutex_pthread p;
};

int cpat_mutex_pthread_adaptive_init(struct cpat_mutex_pthread_adaptive *m);

static inline void cpat_mutex_pthread_adaptive_destroy(struct cpat_mutex_pthread_adaptive *m) {
    cpat_mutex_pthread_destroy(&m->p);
}
static inline void cpat_mutex_pthread_adaptive_lock(struct cpat_mutex_pthread_adaptive *m) {
    cpat_mutex_pthread_lock(&m->p);
}
static inline int cpat_mutex_pthread_adaptive_trylock(struct cpat_mutex_pthread_adaptive *m) {
    return cpat_mutex_pthread_trylock(&m->p);
}
static inline int cpat_mutex_pthread_adaptive_unlock(struct cpat_mutex_pthread_adaptive *m) {
    return cpat_mutex_pthread_unlock(&m->p);
}

/* lock_until: pthread_mutex_timedlock in slices of at most
 * CPAT_MUTEX_PTHREAD_POLL_NS, looking at the flag between them.  A pthread
 * mutex cannot be woken for anything but the lock, so kick does nothing
 * and a cancel is seen within one slice. */
#define CPAT_MUTEX_PTHREAD_POLL_NS 1000000u
int cpat_mutex_pthread_lock_until(struct cpat_mutex_pthread *m, uint64_t deadline_ns,
                                  struct cpat_stop *stop);
static inline void cpat_mutex_pthread_kick(struct cpat_mutex_pthread *m, struct cpat_stop *stop) {
    (void)m;
    (void)stop;
}
static inline int cpat_mutex_pthread_adaptive_lock_until(struct cpat_mutex_pthread_adaptive *m,
                                                         uint64_t deadline_ns,
                                                         struct cpat_stop *stop) {
    return cpat_mutex_pthread_lock_until(&m->p, deadline_ns, stop);
}
static inline void cpat_mutex_pthread_adaptive_kick(struct cpat_mutex_pthread_adaptive *m,
                                                    struct cpat_stop *stop) {
    (void)m;
    (void)stop;
}

#endif
