/* A thread's small fixed set of slots (queue nodes for MCS-style locks),
 * tracked by a bitmask: bit i set = slot i in use.  Thread-local, so plain
 * data.  Running out means the thread nests more locks than the pool holds:
 * misuse, reported by name. */
#ifndef CPAT_COMMON_SLOTS_H
#define CPAT_COMMON_SLOTS_H

#include "cpat/error.h"

static inline unsigned cpat_slot_take(unsigned *used, unsigned nslots, const char *call) {
    unsigned free_mask = ~*used & ((1u << nslots) - 1);
    if (!free_mask)
        cpat_misuse(call, "too many queue locks held at once by one thread");
    unsigned i = (unsigned)__builtin_ctz(free_mask);
    *used |= 1u << i;
    return i;
}

static inline void cpat_slot_give(unsigned *used, unsigned i) {
    *used &= ~(1u << i);
}

#endif
