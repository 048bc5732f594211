/* pthread waitgroup: a mutex, a condvar, and the counter and waiter count
 * as plain ints under the mutex.  add() applies the rules of state.h
 * (misuse aborts) and broadcasts when the counter reaches zero with
 * waiters; a waiter counts itself in while it waits for the zero. */
#ifndef CPAT_WAITGROUP_PTHREAD_H
#define CPAT_WAITGROUP_PTHREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cpat/error.h"
#include "waitgroup/state.h"
#include "common/stop.h"

struct cpat_waitgroup_pthread {
    pthread_mutex_t m;
    pthread_cond_t zero; /* broadcast when counter reaches 0 */
    int32_t counter;     /* under m */
    uint32_t waiters;    /* under m: threads inside wait() */
};

static inline int cpat_waitgroup_pthread_init(struct cpat_waitgroup_pthread *wg) {
    int e = pthread_mutex_init(&wg->m, NULL);
    if (e)
        return e;
    if ((e = pthread_cond_init(&wg->zero, NULL))) {
        pthread_mutex_destroy(&wg->m);
        return e;
    }
    wg->counter = 0;
    wg->waiters = 0;
    return 0;
}

static inline void cpat_waitgroup_pthread_destroy(struct cpat_waitgroup_pthread *wg) {
    int e = pthread_cond_destroy(&wg->zero);
    if (e)
        cpat_die("pthread_cond_destroy", e);
    if ((e = pthread_mutex_destroy(&wg->m)))
        cpat_die("pthread_mutex_destroy", e);
}

static inline void cpat_waitgroup_pthread_lock(struct cpat_waitgroup_pthread *wg) {
    int e = pthread_mutex_lock(&wg->m);
    if (e)
        cpat_die("pthread_mutex_lock", e);
}

static inline void cpat_waitgroup_pthread_unlock(struct cpat_waitgroup_pthread *wg) {
    int e = pthread_mutex_unlock(&wg->m);
    if (e)
        cpat_die("pthread_mutex_unlock", e);
}

static inline int cpat_waitgroup_pthread_add(struct cpat_waitgroup_pthread *wg, int delta) {
    cpat_waitgroup_pthread_lock(wg);
    wg->counter = cpat_waitgroup_rule(wg->counter, wg->waiters, delta);
    if (wg->counter == 0 && wg->waiters) {
        int e = pthread_cond_broadcast(&wg->zero);
        if (e)
            cpat_die("pthread_cond_broadcast", e);
    }
    cpat_waitgroup_pthread_unlock(wg);
    return 0;
}

static inline int cpat_waitgroup_pthread_done(struct cpat_waitgroup_pthread *wg) {
    return cpat_waitgroup_pthread_add(wg, -1);
}

static inline void cpat_waitgroup_pthread_wait(struct cpat_waitgroup_pthread *wg) {
    cpat_waitgroup_pthread_lock(wg);
    if (wg->counter > 0) {
        wg->waiters++;
        /* The loop covers spurious wakes; the zero cannot be missed, since
         * add() keeps it while we are counted in. */
        while (wg->counter > 0) {
            int e = pthread_cond_wait(&wg->zero, &wg->m);
            if (e)
                cpat_die("pthread_cond_wait", e);
        }
        wg->waiters--;
    }
    cpat_waitgroup_pthread_unlock(wg);
}

int cpat_waitgroup_pthread_wait_until(struct cpat_waitgroup_pthread *wg, uint64_t deadline_ns,
                                      struct cpat_stop *stop);

/* Wakes the waiters of wait_until to look at their stop words: under m, so
 * a waiter that found *stop clear is inside pthread_cond_wait by then. */
static inline void cpat_waitgroup_pthread_kick(struct cpat_waitgroup_pthread *wg,
                                               struct cpat_stop *stop) {
    (void)stop; /* its waiter reads it under m */
    cpat_waitgroup_pthread_lock(wg);
    int e = pthread_cond_broadcast(&wg->zero);
    if (e)
        cpat_die("pthread_cond_broadcast", e);
    cpat_waitgroup_pthread_unlock(wg);
}

#endif
