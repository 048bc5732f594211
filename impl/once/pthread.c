#include "once/pthread.h"
#include "once/ops.h"

_Thread_local struct cpat_once_pthread_call *cpat_once_pthread_current;

void cpat_once_pthread_trampoline(void) {
    cpat_once_pthread_current->fn(cpat_once_pthread_current->arg);
}

CPAT_ONCE_OPS(pthread, "variant", CPAT_ONCE_PARKS,
              "pthread_once_t; (fn, arg) passed through a thread-local call record");
