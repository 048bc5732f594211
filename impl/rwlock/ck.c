#include "rwlock/ck.h"
#include "rwlock/ops.h"

CPAT_RWLOCK_OPS(ck_rwlock, "peer", CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_WRITER_PREFERRING,
                "Concurrency Kit ck_rwlock (writer flag + reader count, spinning)");
CPAT_RWLOCK_OPS(ck_brlock, "peer", CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_WRITER_PREFERRING,
                "Concurrency Kit ck_brlock (big-reader: a registered record per reading thread)");
