/* CPAT_MUTEX_OPS(V, kind, flags, about) defines cpat_mutex_V_ops, the table
 * form of variant V, from its direct (static inline) operations.  The
 * adapters only convert void * to the variant's type.  CPAT_MUTEX_OPS_UNTIL
 * is the same for a variant that also has lock_until and kick. */
#ifndef CPAT_MUTEX_OPS_H
#define CPAT_MUTEX_OPS_H

#include <stdalign.h>

#include "cpat/mutex.h"

#define CPAT_MUTEX_OPS_(V, kind_, flags_, about_, ...)                                             \
    static int V##_init_(void *m) {                                                                \
        return cpat_mutex_##V##_init(m);                                                           \
    }                                                                                              \
    static void V##_destroy_(void *m) {                                                            \
        cpat_mutex_##V##_destroy(m);                                                               \
    }                                                                                              \
    static void V##_lock_(void *m) {                                                               \
        cpat_mutex_##V##_lock(m);                                                                  \
    }                                                                                              \
    static int V##_trylock_(void *m) {                                                             \
        return cpat_mutex_##V##_trylock(m);                                                        \
    }                                                                                              \
    static int V##_unlock_(void *m) {                                                              \
        return cpat_mutex_##V##_unlock(m);                                                         \
    }                                                                                              \
    const struct cpat_mutex_ops cpat_mutex_##V##_ops = {.name = #V,                                \
                                                        .kind = (kind_),                           \
                                                        .about = (about_),                         \
                                                        .flags = (flags_),                         \
                                                        .size = sizeof(struct cpat_mutex_##V),     \
                                                        .align = alignof(struct cpat_mutex_##V),   \
                                                        .init = V##_init_,                         \
                                                        .destroy = V##_destroy_,                   \
                                                        .lock = V##_lock_,                         \
                                                        .trylock = V##_trylock_,                   \
                                                        .unlock = V##_unlock_,                     \
                                                        __VA_ARGS__}

#define CPAT_MUTEX_OPS(V, kind_, flags_, about_) CPAT_MUTEX_OPS_(V, kind_, flags_, about_, )

#define CPAT_MUTEX_OPS_UNTIL(V, kind_, flags_, about_)                                             \
    static int V##_lock_until_(void *m, uint64_t deadline_ns, struct cpat_stop *stop) {            \
        return cpat_mutex_##V##_lock_until(m, deadline_ns, stop);                                  \
    }                                                                                              \
    static void V##_kick_(void *m, struct cpat_stop *stop) {                                       \
        cpat_mutex_##V##_kick(m, stop);                                                            \
    }                                                                                              \
    CPAT_MUTEX_OPS_(V, kind_, flags_, about_, .lock_until = V##_lock_until_, .kick = V##_kick_, )

#endif
