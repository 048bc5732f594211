/* The registry: every variant's ops table, in one explicit list per pattern
 * (no constructor self-registration, which static linking drops silently).
 * Lists end with NULL. */
#ifndef CPAT_REGISTRY_H
#define CPAT_REGISTRY_H

#include <stddef.h>

#include "cpat/chan.h"
#include "cpat/context.h"
#include "cpat/mutex.h"
#include "cpat/once.h"
#include "cpat/pool.h"
#include "cpat/rwlock.h"
#include "cpat/waitgroup.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct cpat_mutex_ops *const cpat_mutex_registry[];

/* The variant called `name`, or NULL. */
const struct cpat_mutex_ops *cpat_mutex_find(const char *name);

extern const struct cpat_rwlock_ops *const cpat_rwlock_registry[];
const struct cpat_rwlock_ops *cpat_rwlock_find(const char *name);

extern const struct cpat_once_ops *const cpat_once_registry[];
const struct cpat_once_ops *cpat_once_find(const char *name);

extern const struct cpat_waitgroup_ops *const cpat_waitgroup_registry[];
const struct cpat_waitgroup_ops *cpat_waitgroup_find(const char *name);

extern const struct cpat_chan_ops *const cpat_chan_registry[];
const struct cpat_chan_ops *cpat_chan_find(const char *name);

extern const struct cpat_context_ops *const cpat_context_registry[];
const struct cpat_context_ops *cpat_context_find(const char *name);

extern const struct cpat_pool_ops *const cpat_pool_registry[];
const struct cpat_pool_ops *cpat_pool_find(const char *name);

extern const struct cpat_fan_ops *const cpat_fan_registry[];
const struct cpat_fan_ops *cpat_fan_find(const char *name);

/* Zeroed storage for one object of a table's size and alignment, padded to
 * whole cache lines so neighbours never share one; free with free(). */
void *cpat_obj_new(size_t size, size_t align);

#ifdef __cplusplus
}
#endif

#endif
