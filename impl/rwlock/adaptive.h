/* adaptive rwlock: Go's sync.RWMutex protocol (rwlock/goproto.h) on the
 * adaptive mutex's policy.  Writers are serialized by the adaptive mutex;
 * a queued reader, or the writer waiting for readers to leave, spins for
 * the measured cost of a park (common/park.h: at most 50 us, a quarter of
 * it with no spare PU) before it parks on its semaphore.  The waits it
 * spins through are another thread's critical section -- usually far
 * shorter than a park. */
#ifndef CPAT_RWLOCK_ADAPTIVE_H
#define CPAT_RWLOCK_ADAPTIVE_H

#include "mutex/adaptive.h"
#include "rwlock/goproto.h"

CPAT_RWLOCK_GO(adaptive, adaptive)

#endif
