/* CPAT_ONCE_OPS(V, kind, flags, about) defines cpat_once_V_ops, the table
 * form of variant V, from its direct (static inline) operations.  The
 * adapters only convert void * to the variant's type. */
#ifndef CPAT_ONCE_OPS_H
#define CPAT_ONCE_OPS_H

#include <stdalign.h>

#include "cpat/once.h"

#define CPAT_ONCE_OPS(V, kind_, flags_, about_)                                                    \
    static int V##_init_(void *o) {                                                                \
        return cpat_once_##V##_init(o);                                                            \
    }                                                                                              \
    static void V##_destroy_(void *o) {                                                            \
        cpat_once_##V##_destroy(o);                                                                \
    }                                                                                              \
    static void V##_do_(void *o, void (*fn)(void *), void *arg) {                                  \
        cpat_once_##V##_do(o, fn, arg);                                                            \
    }                                                                                              \
    const struct cpat_once_ops cpat_once_##V##_ops = {                                             \
        .name = #V,                                                                                \
        .kind = (kind_),                                                                           \
        .about = (about_),                                                                         \
        .flags = (flags_),                                                                         \
        .size = sizeof(struct cpat_once_##V),                                                      \
        .align = alignof(struct cpat_once_##V),                                                    \
        .init = V##_init_,                                                                         \
        .destroy = V##_destroy_,                                                                   \
        .do_once = V##_do_,                                                                        \
    }

#endif
