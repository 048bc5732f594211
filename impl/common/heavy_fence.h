/* An asymmetric fence: the slow side of a Dekker pair pays for both.
 *
 * In a Dekker pair each side stores its flag and then loads the other's;
 * on every CPU that needs a full (store-load) fence between the two.  When
 * one side runs on every hot path -- a lock's unlock -- and the other only
 * rarely -- a waiter about to sleep -- the rare side can call
 * cpat_heavy_fence() instead, and the hot side needs only a compiler
 * barrier (atomic_signal_fence) between its store and its load.
 *
 * cpat_heavy_fence() is membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): it
 * returns once every CPU that runs a thread of this process has executed a
 * full memory barrier (a thread that is not running passed one when it was
 * switched out).  So for each other thread, its store either was visible
 * before our caller's following loads, or its load comes after our
 * caller's preceding store.  It costs an IPI round, microseconds.
 *
 * Returns an errno where the kernel lacks it (before Linux 4.14, or a
 * sandbox that filters the syscall); callers must then not rely on the
 * pair, e.g.
 * poll instead of sleeping.  TSan does not model it, and the C11 model has
 * no such thing: a protocol built on it must get its happens-before edges
 * from atomics, and use the fence only to exclude store-buffer outcomes
 * (rwlock/brlock uses it for both wake-ups and exclusion; its mutant
 * brlock_no_lease shows the store-buffer race it prevents).
 */
#ifndef CPAT_COMMON_HEAVY_FENCE_H
#define CPAT_COMMON_HEAVY_FENCE_H

#include <stdbool.h>

int cpat_heavy_fence(void); /* 0, or the errno of the refusal */

/* Whether cpat_heavy_fence() works here, registering the process for it
 * if needed (once; cheap after that).  A protocol that must not rely on
 * the fence where it is missing asks this up front. */
bool cpat_heavy_fence_ready(void);

#endif
