#include "chan/null.h"
#include "chan/ops.h"

CPAT_CHAN_OPS(null, "null", CPAT_CHAN_FULL, "does nothing: the harness's own cost");
