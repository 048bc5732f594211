/* null rwlock: does nothing.  Its benchmark figure is the harness's own
 * cost; verify skips it (it is not a lock). */
#ifndef CPAT_RWLOCK_NULL_H
#define CPAT_RWLOCK_NULL_H

struct cpat_rwlock_null {
    char unused;
};

static inline int cpat_rwlock_null_init(struct cpat_rwlock_null *l) {
    (void)l;
    return 0;
}
static inline void cpat_rwlock_null_destroy(struct cpat_rwlock_null *l) {
    (void)l;
}
static inline void cpat_rwlock_null_rdlock(struct cpat_rwlock_null *l) {
    (void)l;
}
static inline int cpat_rwlock_null_rdunlock(struct cpat_rwlock_null *l) {
    (void)l;
    return 0;
}
static inline void cpat_rwlock_null_wrlock(struct cpat_rwlock_null *l) {
    (void)l;
}
static inline int cpat_rwlock_null_wrunlock(struct cpat_rwlock_null *l) {
    (void)l;
    return 0;
}
static inline int cpat_rwlock_null_tryrd(struct cpat_rwlock_null *l) {
    (void)l;
    return 0;
}
static inline int cpat_rwlock_null_trywr(struct cpat_rwlock_null *l) {
    (void)l;
    return 0;
}

#endif
