/* Every once variant's direct interface, and the one list of them.
 * CPAT_ONCE_VARIANTS(X) calls X(V) for each variant V; the benchmarks
 * instantiate their loops from it and the registry lists the tables from
 * it. */
#ifndef CPAT_ONCE_ALL_H
#define CPAT_ONCE_ALL_H

#include "once/atomic.h"
#include "once/futex.h"
#include "once/pthread.h"

#define CPAT_ONCE_VARIANTS(X) X(pthread) X(atomic) X(futex)

#endif
