/* Deliberately broken variants.  Each must make at least one check fail
 * (V1); `cpat-verify --mutants` runs them and passes only when every one is
 * caught.  A tsan_only mutant breaks happens-before without breaking the
 * machine's behaviour on x86, so only the TSan build can see it. */
#ifndef CPAT_VERIFY_MUTANTS_H
#define CPAT_VERIFY_MUTANTS_H

#include <stdbool.h>

#include "cpat/mutex.h"

struct vmutant_mutex {
    const struct cpat_mutex_ops *ops;
    bool tsan_only;
    const char *caught_by; /* the check meant to catch it, for the reader */
};

extern const struct vmutant_mutex vmutants_mutex[]; /* ends with {NULL} */

#endif
