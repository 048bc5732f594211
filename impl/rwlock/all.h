/* Every rwlock variant's direct interface, and the one list of them.
 * CPAT_RWLOCK_VARIANTS(X) calls X(V) for each variant V; the benchmarks
 * instantiate their loops from it and the registry lists the tables from
 * it, so a new variant is added here once. */
#ifndef CPAT_RWLOCK_ALL_H
#define CPAT_RWLOCK_ALL_H

#include "rwlock/adaptive.h"
#include "rwlock/bravo.h"
#include "rwlock/brlock.h"
#include "rwlock/futex.h"
#include "rwlock/null.h"
#include "rwlock/pthread.h"
#include "rwlock/spin.h"

#if CPAT_HAVE_CK
#include "rwlock/ck.h"
#define CPAT_RWLOCK_PEERS(X) X(ck_rwlock) X(ck_brlock)
#else
#define CPAT_RWLOCK_PEERS(X)
#endif

#define CPAT_RWLOCK_VARIANTS(X)                                                                    \
    X(null)                                                                                        \
    X(pthread) X(pthread_wpref) X(spin) X(futex) X(adaptive) X(bravo) X(brlock) CPAT_RWLOCK_PEERS(X)

#endif
