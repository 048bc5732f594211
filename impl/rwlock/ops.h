/* CPAT_RWLOCK_OPS(V, kind, flags, about) defines cpat_rwlock_V_ops, the
 * table form of variant V, from its direct (static inline) operations.  The
 * adapters only convert void * to the variant's type. */
#ifndef CPAT_RWLOCK_OPS_H
#define CPAT_RWLOCK_OPS_H

#include <stdalign.h>

#include "cpat/rwlock.h"

#define CPAT_RWLOCK_OPS(V, kind_, flags_, about_)                                                  \
    static int V##_init_(void *l) {                                                                \
        return cpat_rwlock_##V##_init(l);                                                          \
    }                                                                                              \
    static void V##_destroy_(void *l) {                                                            \
        cpat_rwlock_##V##_destroy(l);                                                              \
    }                                                                                              \
    static void V##_rdlock_(void *l) {                                                             \
        cpat_rwlock_##V##_rdlock(l);                                                               \
    }                                                                                              \
    static int V##_rdunlock_(void *l) {                                                            \
        return cpat_rwlock_##V##_rdunlock(l);                                                      \
    }                                                                                              \
    static void V##_wrlock_(void *l) {                                                             \
        cpat_rwlock_##V##_wrlock(l);                                                               \
    }                                                                                              \
    static int V##_wrunlock_(void *l) {                                                            \
        return cpat_rwlock_##V##_wrunlock(l);                                                      \
    }                                                                                              \
    static int V##_tryrd_(void *l) {                                                               \
        return cpat_rwlock_##V##_tryrd(l);                                                         \
    }                                                                                              \
    static int V##_trywr_(void *l) {                                                               \
        return cpat_rwlock_##V##_trywr(l);                                                         \
    }                                                                                              \
    const struct cpat_rwlock_ops cpat_rwlock_##V##_ops = {                                         \
        .name = #V,                                                                                \
        .kind = (kind_),                                                                           \
        .about = (about_),                                                                         \
        .flags = (flags_),                                                                         \
        .size = sizeof(struct cpat_rwlock_##V),                                                    \
        .align = alignof(struct cpat_rwlock_##V),                                                  \
        .init = V##_init_,                                                                         \
        .destroy = V##_destroy_,                                                                   \
        .rdlock = V##_rdlock_,                                                                     \
        .rdunlock = V##_rdunlock_,                                                                 \
        .wrlock = V##_wrlock_,                                                                     \
        .wrunlock = V##_wrunlock_,                                                                 \
        .tryrd = V##_tryrd_,                                                                       \
        .trywr = V##_trywr_,                                                                       \
    }

#endif
