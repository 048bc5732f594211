#include "rwlock/null.h"
#include "rwlock/ops.h"

CPAT_RWLOCK_OPS(null, "null", 0, "does nothing: the harness's own cost");
