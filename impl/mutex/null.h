/* null mutex: does nothing.  Its benchmark figure is the harness's own cost;
 * verify skips it (it is not a lock). */
#ifndef CPAT_MUTEX_NULL_H
#define CPAT_MUTEX_NULL_H

struct cpat_mutex_null {
    char unused;
};

static inline int cpat_mutex_null_init(struct cpat_mutex_null *m) {
    (void)m;
    return 0;
}
static inline void cpat_mutex_null_destroy(struct cpat_mutex_null *m) {
    (void)m;
}
static inline void cpat_mutex_null_lock(struct cpat_mutex_null *m) {
    (void)m;
}
static inline int cpat_mutex_null_trylock(struct cpat_mutex_null *m) {
    (void)m;
    return 0;
}
static inline int cpat_mutex_null_unlock(struct cpat_mutex_null *m) {
    (void)m;
    return 0;
}

#endif
