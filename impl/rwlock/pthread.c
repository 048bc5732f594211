#include "rwlock/pthread.h"
#include "rwlock/ops.h"

CPAT_RWLOCK_OPS(pthread, "variant", CPAT_RWLOCK_PARKS,
                "pthread_rwlock_t, default attributes (reader-preferring in glibc)");
