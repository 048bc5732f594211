#include "mutex/pthread.h"
#include "mutex/ops.h"

#include <time.h>

#include "common/clock.h"

int cpat_mutex_pthread_lock_until(struct cpat_mutex_pthread *m, uint64_t deadline_ns,
                                  struct cpat_stop *stop) {
    for (;;) {
        uint64_t now = cpat_now_ns();
        uint64_t slice = CPAT_MUTEX_PTHREAD_POLL_NS;
        if (deadline_ns != UINT64_MAX)
            slice = deadline_ns <= now ? 0 : deadline_ns - now < slice ? deadline_ns - now : slice;
        /* timedlock takes CLOCK_REALTIME (and is what ThreadSanitizer
         * knows); only the slice's length matters here, the deadline is
         * looked at on the monotonic clock. */
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        uint64_t until = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec + slice;
        struct timespec ts = cpat_ns_to_timespec(until);
        int e = pthread_mutex_timedlock(&m->m, &ts);
        if (e == 0)
            return 0;
        if (e != ETIMEDOUT)
            cpat_die("pthread_mutex_timedlock", e);
        if (cpat_stop_is_set(stop))
            return ECANCELED;
        if (cpat_deadline_passed(deadline_ns))
            return ETIMEDOUT;
    }
}

CPAT_MUTEX_OPS_UNTIL(pthread, "variant", CPAT_MUTEX_PARKS, "pthread_mutex_t, default attributes");

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

CPAT_MUTEX_OPS_UNTIL(
    pthread_adaptive, "variant", CPAT_MUTEX_PARKS,
    "pthread_mutex_t, PTHREAD_MUTEX_ADAPTIVE_NP (glibc: bounded adaptive spin, then "
    "park)");
