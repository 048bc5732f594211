#include "chan/futex.h"
#include "chan/ops.h"

CPAT_CHAN_OPS(futex, "variant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "short futex lock per channel, direct hand-off, spin then park on the waiter's word");
