/* pthread once: pthread_once_t.  Its init routine takes no argument, so
 * do() passes (fn, arg) through a thread-local pointer to a call record on
 * its stack, which the trampoline reads: pthread_once runs the routine on
 * the thread that called it, so the record it finds is that caller's own.
 * do() restores the previous pointer afterwards, so an fn that calls do()
 * on another once still works. */
#ifndef CPAT_ONCE_PTHREAD_H
#define CPAT_ONCE_PTHREAD_H

#include <pthread.h>

#include "cpat/error.h"

struct cpat_once_pthread {
    pthread_once_t once;
};

struct cpat_once_pthread_call {
    void (*fn)(void *arg);
    void *arg;
};
extern _Thread_local struct cpat_once_pthread_call *cpat_once_pthread_current;
void cpat_once_pthread_trampoline(void);

static inline int cpat_once_pthread_init(struct cpat_once_pthread *o) {
    static const pthread_once_t fresh = PTHREAD_ONCE_INIT;
    o->once = fresh;
    return 0;
}

static inline void cpat_once_pthread_destroy(struct cpat_once_pthread *o) {
    (void)o;
}

static inline void cpat_once_pthread_do(struct cpat_once_pthread *o, void (*fn)(void *),
                                        void *arg) {
    struct cpat_once_pthread_call call = {fn, arg}, *outer = cpat_once_pthread_current;
    cpat_once_pthread_current = &call;
    int e = pthread_once(&o->once, cpat_once_pthread_trampoline);
    cpat_once_pthread_current = outer;
    if (e)
        cpat_die("pthread_once", e);
}

#endif
