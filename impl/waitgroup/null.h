/* null waitgroup: does nothing.  Its benchmark figure is the harness's own
 * cost; verify skips it (it waits for nothing). */
#ifndef CPAT_WAITGROUP_NULL_H
#define CPAT_WAITGROUP_NULL_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/stop.h"

struct cpat_waitgroup_null {
    char unused;
};

static inline int cpat_waitgroup_null_init(struct cpat_waitgroup_null *wg) {
    (void)wg;
    return 0;
}
static inline void cpat_waitgroup_null_destroy(struct cpat_waitgroup_null *wg) {
    (void)wg;
}
static inline int cpat_waitgroup_null_add(struct cpat_waitgroup_null *wg, int delta) {
    (void)wg;
    (void)delta;
    return 0;
}
static inline int cpat_waitgroup_null_done(struct cpat_waitgroup_null *wg) {
    (void)wg;
    return 0;
}
static inline void cpat_waitgroup_null_wait(struct cpat_waitgroup_null *wg) {
    (void)wg;
}

static inline int cpat_waitgroup_null_wait_until(struct cpat_waitgroup_null *wg,
                                                 uint64_t deadline_ns, struct cpat_stop *stop) {
    (void)wg;
    (void)deadline_ns;
    (void)stop;
    return 0;
}
static inline void cpat_waitgroup_null_kick(struct cpat_waitgroup_null *wg,
                                            struct cpat_stop *stop) {
    (void)stop;
    (void)wg;
}

#endif
