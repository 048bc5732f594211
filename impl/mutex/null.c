#include "mutex/null.h"
#include "mutex/ops.h"

CPAT_MUTEX_OPS(null, "null", 0, "does nothing: the harness's own cost");
