#include "mutex/pthread.h"
#include "mutex/ops.h"

CPAT_MUTEX_OPS(pthread, "variant", CPAT_MUTEX_PARKS, "pthread_mutex_t, default attributes");
