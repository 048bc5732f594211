#include "rwlock/adaptive.h"
#include "common/park.h"
#include "common/spin.h"
#include "rwlock/ops.h"

void cpat_rwlock_adaptive_sema_wait(struct cpat_sema *s) {
    struct cpat_spin sp = {0};
    do {
        if (cpat_sema_trywait(s) == 0) /* acquires the post that made the token */
            return;
        for (int i = 0; i < CPAT_SPIN_PAUSES; i++)
            cpat_cpu_relax();
    } while (cpat_spin_on(&sp));
    cpat_sema_wait_polls(s, 0);
}

CPAT_RWLOCK_GO_SLOW(adaptive)

CPAT_RWLOCK_OPS(adaptive, "variant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "Go's RWMutex protocol on the adaptive mutex: waits spin for the measured park "
                "cost, then park");
