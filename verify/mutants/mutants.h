/* Deliberately broken variants.  Each must make at least one check fail
 * (V1); `cpat-verify --mutants` runs them and passes only when every one is
 * caught.  A tsan_only mutant breaks happens-before without breaking the
 * machine's behaviour on x86, so only the TSan build can see it. */
#ifndef CPAT_VERIFY_MUTANTS_H
#define CPAT_VERIFY_MUTANTS_H

#include <stdbool.h>

#include "cpat/chan.h"
#include "cpat/context.h"
#include "cpat/mutex.h"
#include "cpat/once.h"
#include "cpat/pool.h"
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

/* The context interface as the context checks call it.  The library is one
 * set of functions for every family, so a variant is (family, the library's
 * functions) and a mutant is a family with some of them replaced by
 * wrappers (verify/mutants/context.c).  The questions (done, err, cause,
 * value, deadline, ref, unref, live) are always the library's own. */
struct vctx_api {
    const char *name;                   /* the family's name, or the mutant's */
    const struct cpat_context_ops *ops; /* the family: its background, Done's channels */
    int (*with_cancel)(cpat_ctx *parent, cpat_ctx **out);
    int (*with_deadline)(cpat_ctx *parent, uint64_t deadline_ns, cpat_ctx **out);
    int (*with_timeout)(cpat_ctx *parent, uint64_t timeout_ns, cpat_ctx **out);
    int (*with_value)(cpat_ctx *parent, const void *key, void *value, cpat_ctx **out);
    int (*without_cancel)(cpat_ctx *parent, cpat_ctx **out);
    void (*cancel)(cpat_ctx *ctx);
    void (*cancel_cause)(cpat_ctx *ctx, int cause);
    void (*release)(cpat_ctx *ctx);
    int (*after_func)(cpat_ctx *ctx, void (*fn)(void *), void *arg, struct cpat_ctx_after **handle);
    bool (*after_stop)(struct cpat_ctx_after *handle);
    int (*send)(cpat_ctx *ctx, void *ch, void *value);
    int (*recv)(cpat_ctx *ctx, void *ch, void **value);
    int (*select)(cpat_ctx *ctx, struct cpat_select_case *cases, size_t n, size_t *chosen);
};

struct vmutant_context {
    const struct vctx_api *api;
    bool tsan_only;
    const char *caught_by;
};

extern const struct vmutant_context vmutants_context[]; /* ends with {NULL} */

/* Pools and fans (verify/mutants/pool.c): ops tables of their own, since
 * the library's insides are static. */
struct vmutant_pool {
    const struct cpat_pool_ops *ops;
    bool tsan_only;
    const char *caught_by;
};

extern const struct vmutant_pool vmutants_pool[]; /* ends with {NULL} */

struct vmutant_fan {
    const struct cpat_fan_ops *ops;
    bool tsan_only;
    const char *caught_by;
};

extern const struct vmutant_fan vmutants_fan[]; /* ends with {NULL} */

#endif
