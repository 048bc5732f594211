/* CPAT_CHAN_OPS(V, kind, flags, about) defines cpat_chan_V_ops, the table
 * form of variant V, from its direct (static inline) operations; the
 * adapters only convert void * to the variant's type.  A variant without
 * select (flags lack CPAT_CHAN_SELECT) uses CPAT_CHAN_OPS_NOSELECT. */
#ifndef CPAT_CHAN_OPS_H
#define CPAT_CHAN_OPS_H

#include "cpat/chan.h"

#define CPAT_CHAN_OPS_COMMON_(V)                                                                   \
    static int V##_make_(void **ch, size_t cap) {                                                  \
        return cpat_chan_##V##_make((struct cpat_chan_##V **)ch, cap);                             \
    }                                                                                              \
    static void V##_destroy_(void *ch) {                                                           \
        cpat_chan_##V##_destroy(ch);                                                               \
    }                                                                                              \
    static int V##_send_(void *ch, void *v) {                                                      \
        return cpat_chan_##V##_send(ch, v);                                                        \
    }                                                                                              \
    static int V##_recv_(void *ch, void **v) {                                                     \
        return cpat_chan_##V##_recv(ch, v);                                                        \
    }                                                                                              \
    static int V##_trysend_(void *ch, void *v) {                                                   \
        return cpat_chan_##V##_trysend(ch, v);                                                     \
    }                                                                                              \
    static int V##_tryrecv_(void *ch, void **v) {                                                  \
        return cpat_chan_##V##_tryrecv(ch, v);                                                     \
    }                                                                                              \
    static int V##_send_until_(void *ch, void *v, uint64_t deadline_ns) {                          \
        return cpat_chan_##V##_send_until(ch, v, deadline_ns);                                     \
    }                                                                                              \
    static int V##_recv_until_(void *ch, void **v, uint64_t deadline_ns) {                         \
        return cpat_chan_##V##_recv_until(ch, v, deadline_ns);                                     \
    }                                                                                              \
    static int V##_close_(void *ch) {                                                              \
        return cpat_chan_##V##_close(ch);                                                          \
    }                                                                                              \
    static size_t V##_len_(void *ch) {                                                             \
        return cpat_chan_##V##_len(ch);                                                            \
    }                                                                                              \
    static size_t V##_cap_(void *ch) {                                                             \
        return cpat_chan_##V##_cap(ch);                                                            \
    }

#define CPAT_CHAN_OPS_TABLE_(V, kind_, flags_, about_, select_)                                    \
    const struct cpat_chan_ops cpat_chan_##V##_ops = {                                             \
        .name = #V,                                                                                \
        .kind = (kind_),                                                                           \
        .about = (about_),                                                                         \
        .flags = (flags_),                                                                         \
        .make = V##_make_,                                                                         \
        .destroy = V##_destroy_,                                                                   \
        .send = V##_send_,                                                                         \
        .recv = V##_recv_,                                                                         \
        .trysend = V##_trysend_,                                                                   \
        .tryrecv = V##_tryrecv_,                                                                   \
        .send_until = V##_send_until_,                                                             \
        .recv_until = V##_recv_until_,                                                             \
        .close = V##_close_,                                                                       \
        .len = V##_len_,                                                                           \
        .cap = V##_cap_,                                                                           \
        .select = (select_),                                                                       \
    }

#define CPAT_CHAN_OPS(V, kind_, flags_, about_)                                                    \
    CPAT_CHAN_OPS_COMMON_(V)                                                                       \
    CPAT_CHAN_OPS_TABLE_(V, kind_, flags_, about_, cpat_chan_##V##_select)

#define CPAT_CHAN_OPS_NOSELECT(V, kind_, flags_, about_)                                           \
    CPAT_CHAN_OPS_COMMON_(V)                                                                       \
    CPAT_CHAN_OPS_TABLE_(V, kind_, flags_, about_, NULL)

#endif
