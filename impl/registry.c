#include "cpat/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpat/error.h"
#include "chan/all.h"
#include "mutex/all.h"
#include "once/all.h"
#include "rwlock/all.h"
#include "waitgroup/all.h"

/* cpat_<P>_find(name): the variant of pattern P called name, or NULL. */
#define CPAT_DEFINE_FIND(P)                                                                        \
    const struct cpat_##P##_ops *cpat_##P##_find(const char *name) {                               \
        for (const struct cpat_##P##_ops *const *o = cpat_##P##_registry; *o; o++)                 \
            if (strcmp((*o)->name, name) == 0)                                                     \
                return *o;                                                                         \
        return NULL;                                                                               \
    }

#define CPAT_MUTEX_ENTRY(V) &cpat_mutex_##V##_ops,
const struct cpat_mutex_ops *const cpat_mutex_registry[] = {CPAT_MUTEX_VARIANTS(CPAT_MUTEX_ENTRY)
                                                                NULL};

CPAT_DEFINE_FIND(mutex)

#define CPAT_RWLOCK_ENTRY(V) &cpat_rwlock_##V##_ops,
const struct cpat_rwlock_ops *const cpat_rwlock_registry[] = {
    CPAT_RWLOCK_VARIANTS(CPAT_RWLOCK_ENTRY) NULL};

CPAT_DEFINE_FIND(rwlock)

#define CPAT_ONCE_ENTRY(V) &cpat_once_##V##_ops,
const struct cpat_once_ops *const cpat_once_registry[] = {CPAT_ONCE_VARIANTS(CPAT_ONCE_ENTRY) NULL};

CPAT_DEFINE_FIND(once)

#define CPAT_WAITGROUP_ENTRY(V) &cpat_waitgroup_##V##_ops,
const struct cpat_waitgroup_ops *const cpat_waitgroup_registry[] = {
    CPAT_WAITGROUP_VARIANTS(CPAT_WAITGROUP_ENTRY) NULL};

CPAT_DEFINE_FIND(waitgroup)

#define CPAT_CHAN_ENTRY(V) &cpat_chan_##V##_ops,
const struct cpat_chan_ops *const cpat_chan_registry[] = {CPAT_CHAN_VARIANTS(CPAT_CHAN_ENTRY) NULL};

CPAT_DEFINE_FIND(chan)

/* One context family per blocking channel family (its Done's). */
const struct cpat_context_ops *const cpat_context_registry[] = {
    &cpat_context_pthread_ops, &cpat_context_atomic_ops, &cpat_context_futex_ops, NULL};

CPAT_DEFINE_FIND(context)

/* One seed pool and one fan per blocking channel family, and the
 * work-stealing pool. */
const struct cpat_pool_ops *const cpat_pool_registry[] = {
    &cpat_pool_pthread_ops, &cpat_pool_atomic_ops, &cpat_pool_futex_ops, &cpat_pool_steal_ops,
    NULL};

CPAT_DEFINE_FIND(pool)

const struct cpat_fan_ops *const cpat_fan_registry[] = {&cpat_fan_pthread_ops, &cpat_fan_atomic_ops,
                                                        &cpat_fan_futex_ops, NULL};

CPAT_DEFINE_FIND(fan)

#define CPAT_CACHE_LINE 64

void *cpat_obj_new(size_t size, size_t align) {
    if (align < CPAT_CACHE_LINE)
        align = CPAT_CACHE_LINE;
    size_t padded = (size + align - 1) / align * align;
    void *p = aligned_alloc(align, padded);
    if (!p)
        cpat_die("aligned_alloc", ENOMEM);
    return memset(p, 0, padded);
}
