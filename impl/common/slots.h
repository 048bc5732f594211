/* A thread's small fixed set of slots (queue nodes for MCS-style locks),
 * tracked by a bitmask: bit i set = slot i in use.  Thread-local, so plain
 * data.  Running out means the thread nests more locks than the pool holds,
 * and giving back a slot of another thread's pool means an unlock by a
 * thread other than the locker: misuse, reported by name. */
#ifndef CPAT_COMMON_SLOTS_H
#define CPAT_COMMON_SLOTS_H

#include <stdint.h>

#include "cpat/error.h"

static inline unsigned cpat_slot_take(unsigned *used, unsigned nslots, const char *call) {
    unsigned free_mask = ~*used & ((1u << nslots) - 1);
    if (!free_mask)
        cpat_misuse(call, "too many queue locks held at once by one thread");
    unsigned i = (unsigned)__builtin_ctz(free_mask);
    *used |= 1u << i;
    return i;
}

/* Gives back slot i; `i` out of range means the slot was never this
 * thread's (a queue lock unlocked by another thread than its locker). */
static inline void cpat_slot_give(unsigned *used, uintptr_t i, unsigned nslots, const char *call) {
    if (i >= nslots)
        cpat_misuse(call, "unlock by a thread other than the one that locked");
    *used &= ~(1u << i);
}

/* The index of `node` in `pool`, computed on integers: the node may be
 * another thread's (misuse), and then the result is out of range rather
 * than undefined. */
#define CPAT_SLOT_INDEX(pool, node) (((uintptr_t)(node) - (uintptr_t)(pool)) / sizeof *(pool))

#endif
