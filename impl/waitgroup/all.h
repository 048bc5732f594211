/* Every waitgroup variant's direct interface, and the one list of them.
 * CPAT_WAITGROUP_VARIANTS(X) calls X(V) for each variant V; the benchmarks
 * instantiate their loops from it and the registry lists the tables from
 * it. */
#ifndef CPAT_WAITGROUP_ALL_H
#define CPAT_WAITGROUP_ALL_H

#include "waitgroup/atomic.h"
#include "waitgroup/futex.h"
#include "waitgroup/null.h"
#include "waitgroup/pthread.h"

#define CPAT_WAITGROUP_VARIANTS(X) X(null) X(pthread) X(atomic) X(futex)

#endif
