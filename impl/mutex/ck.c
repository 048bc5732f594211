#include "mutex/ck.h"
#include "mutex/ops.h"

_Thread_local struct cpat_ck_mcs_pool cpat_ck_mcs_pool;

CPAT_MUTEX_OPS(ck_fas, "peer", CPAT_MUTEX_UNBOUNDED,
               "Concurrency Kit ck_spinlock_fas (fetch-and-store)");
CPAT_MUTEX_OPS(ck_ticket, "peer", CPAT_MUTEX_FIFO, "Concurrency Kit ck_spinlock_ticket");
CPAT_MUTEX_OPS(ck_mcs, "peer", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_FIFO,
               "Concurrency Kit ck_spinlock_mcs");
