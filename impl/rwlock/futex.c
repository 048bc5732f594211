#include "rwlock/futex.h"
#include "rwlock/ops.h"

void cpat_rwlock_futex_sema_wait(struct cpat_sema *s) {
    cpat_sema_wait(s);
}

CPAT_RWLOCK_GO_SLOW(futex)

CPAT_RWLOCK_OPS(futex, "variant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "Go's RWMutex protocol on futex words: writer-preferring, queued readers "
                "admitted together");
