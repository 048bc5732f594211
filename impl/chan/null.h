/* null channel: every operation returns at once having done nothing (a
 * recv yields NULL); its figure is the harness's own cost.  Not a channel:
 * verify skips it. */
#ifndef CPAT_CHAN_NULL_H
#define CPAT_CHAN_NULL_H

#include <errno.h>
#include <stdlib.h>

#include "cpat/chan.h"

struct cpat_chan_null {
    size_t cap;
};

static inline int cpat_chan_null_make(struct cpat_chan_null **ch, size_t cap) {
    if (cap > CPAT_CHAN_CAP_MAX)
        return *ch = NULL, EINVAL;
    if (!(*ch = malloc(sizeof **ch)))
        return ENOMEM;
    (*ch)->cap = cap;
    return 0;
}
static inline void cpat_chan_null_destroy(struct cpat_chan_null *ch) {
    free(ch);
}
static inline int cpat_chan_null_send(struct cpat_chan_null *ch, void *v) {
    (void)ch, (void)v;
    return 0;
}
static inline int cpat_chan_null_recv(struct cpat_chan_null *ch, void **v) {
    (void)ch;
    *v = NULL;
    return 0;
}
static inline int cpat_chan_null_trysend(struct cpat_chan_null *ch, void *v) {
    return cpat_chan_null_send(ch, v);
}
static inline int cpat_chan_null_tryrecv(struct cpat_chan_null *ch, void **v) {
    return cpat_chan_null_recv(ch, v);
}
static inline int cpat_chan_null_send_until(struct cpat_chan_null *ch, void *v, uint64_t d) {
    (void)d;
    return cpat_chan_null_send(ch, v);
}
static inline int cpat_chan_null_recv_until(struct cpat_chan_null *ch, void **v, uint64_t d) {
    (void)d;
    return cpat_chan_null_recv(ch, v);
}
static inline int cpat_chan_null_close(struct cpat_chan_null *ch) {
    (void)ch;
    return 0;
}
static inline size_t cpat_chan_null_len(struct cpat_chan_null *ch) {
    (void)ch;
    return 0;
}
static inline size_t cpat_chan_null_cap(struct cpat_chan_null *ch) {
    return ch->cap;
}
/* The first non-NULL case fires (a recv yields NULL). */
static inline int cpat_chan_null_select(struct cpat_select_case *cs, size_t n, uint64_t d,
                                        size_t *chosen) {
    for (size_t i = 0; i < n; i++)
        if (cs[i].ch) {
            if (cs[i].dir == CPAT_RECV)
                cs[i].value = NULL;
            *chosen = i;
            return 0;
        }
    return d == CPAT_DEFAULT ? EAGAIN : d == CPAT_FOREVER ? EINVAL : ETIMEDOUT;
}

#endif
