/* CPAT_WAITGROUP_OPS(V, kind, flags, about) defines cpat_waitgroup_V_ops,
 * the table form of variant V, from its direct (static inline) operations.
 * The adapters only convert void * to the variant's type. */
#ifndef CPAT_WAITGROUP_OPS_H
#define CPAT_WAITGROUP_OPS_H

#include <stdalign.h>

#include "cpat/waitgroup.h"

#define CPAT_WAITGROUP_OPS(V, kind_, flags_, about_)                                               \
    static int V##_init_(void *wg) {                                                               \
        return cpat_waitgroup_##V##_init(wg);                                                      \
    }                                                                                              \
    static void V##_destroy_(void *wg) {                                                           \
        cpat_waitgroup_##V##_destroy(wg);                                                          \
    }                                                                                              \
    static int V##_add_(void *wg, int delta) {                                                     \
        return cpat_waitgroup_##V##_add(wg, delta);                                                \
    }                                                                                              \
    static int V##_done_(void *wg) {                                                               \
        return cpat_waitgroup_##V##_done(wg);                                                      \
    }                                                                                              \
    static void V##_wait_(void *wg) {                                                              \
        cpat_waitgroup_##V##_wait(wg);                                                             \
    }                                                                                              \
    static int V##_wait_until_(void *wg, uint64_t deadline_ns, struct cpat_stop *stop) {           \
        return cpat_waitgroup_##V##_wait_until(wg, deadline_ns, stop);                             \
    }                                                                                              \
    static void V##_kick_(void *wg, struct cpat_stop *stop) {                                      \
        cpat_waitgroup_##V##_kick(wg, stop);                                                       \
    }                                                                                              \
    const struct cpat_waitgroup_ops cpat_waitgroup_##V##_ops = {                                   \
        .name = #V,                                                                                \
        .kind = (kind_),                                                                           \
        .about = (about_),                                                                         \
        .flags = (flags_),                                                                         \
        .size = sizeof(struct cpat_waitgroup_##V),                                                 \
        .align = alignof(struct cpat_waitgroup_##V),                                               \
        .init = V##_init_,                                                                         \
        .destroy = V##_destroy_,                                                                   \
        .add = V##_add_,                                                                           \
        .done = V##_done_,                                                                         \
        .wait = V##_wait_,                                                                         \
        .wait_until = V##_wait_until_,                                                             \
        .kick = V##_kick_,                                                                         \
    }

#endif
