#include "waitgroup/pthread.h"
#include "waitgroup/ops.h"

CPAT_WAITGROUP_OPS(pthread, "variant", CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "mutex + condvar; counter and waiter count under the mutex");
