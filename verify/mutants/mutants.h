/* Deliberately broken variants.  Each must make at least one check fail
 * (V1); `cpat-verify --mutants` runs them and passes only when every one is
 * caught.  A tsan_only mutant breaks happens-before without breaking the
 * machine's behaviour on x86, so only the TSan build can see it. */
#ifndef CPAT_VERIFY_MUTANTS_H
#define CPAT_VERIFY_MUTANTS_H

#include <stdbool.h>

#include "cpat/chan.h"
#include "cpat/mutex.h"
#include "cpat/once.h"
#include "cpat/rwlock.h"
#include "cpat/waitgroup.h"

struct vmutant_mutex {
    const struct cpat_mutex_ops *ops;
    bool tsan_only;
    const char *caught_by; /* the check meant to catch it, for the reader */
};

extern const struct vmutant_mutex vmutants_mutex[]; /* ends with {NULL} */

struct vmutant_rwlock {
    const struct cpat_rwlock_ops *ops;
    bool tsan_only;
    const char *caught_by;
};

extern const struct vmutant_rwlock vmutants_rwlock[]; /* ends with {NULL} */

struct vmutant_once {
    const struct cpat_once_ops *ops;
    bool tsan_only;
    const char *caught_by;
};

extern const struct vmutant_once vmutants_once[]; /* ends with {NULL} */

struct vmutant_waitgroup {
    const struct cpat_waitgroup_ops *ops;
    bool tsan_only;
    const char *caught_by;
};

extern const struct vmutant_waitgroup vmutants_waitgroup[]; /* ends with {NULL} */

struct vmutant_chan {
    const struct cpat_chan_ops *ops;
    bool tsan_only;
    const char *caught_by;
};

extern const struct vmutant_chan vmutants_chan[]; /* ends with {NULL} */

#endif
