#include "waitgroup/null.h"
#include "waitgroup/ops.h"

CPAT_WAITGROUP_OPS(null, "null", 0, "does nothing: the harness's own cost");
