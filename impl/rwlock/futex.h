/* futex rwlock: Go's sync.RWMutex protocol (rwlock/goproto.h) with the
 * simple waits: writers serialized by the futex mutex (128 polls, then
 * park), queued readers and the pending writer take their token with
 * cpat_sema_wait (128 polls, then park). */
#ifndef CPAT_RWLOCK_FUTEX_H
#define CPAT_RWLOCK_FUTEX_H

#include "mutex/futex.h"
#include "rwlock/goproto.h"

CPAT_RWLOCK_GO(futex, futex)

#endif
