#include "chan/pthread.h"
#include "chan/ops.h"

CPAT_CHAN_OPS(pthread, "variant", CPAT_CHAN_FULL | CPAT_CHAN_PARKS,
              "pthread mutex per channel, direct hand-off, blocked threads sleep on a condvar");
