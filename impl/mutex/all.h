/* Every mutex variant's direct interface, and the one list of them.
 * CPAT_MUTEX_VARIANTS(X) calls X(V) for each variant V; the benchmarks
 * instantiate their loops from it and the registry lists the tables from it,
 * so a new variant is added here once. */
#ifndef CPAT_MUTEX_ALL_H
#define CPAT_MUTEX_ALL_H

#include "mutex/adaptive.h"
#include "mutex/futex.h"
#include "mutex/mcs.h"
#include "mutex/null.h"
#include "mutex/pthread.h"
#include "mutex/spin.h"
#include "mutex/ticket.h"

#if CPAT_HAVE_CK
#include "mutex/ck.h"
#define CPAT_MUTEX_PEERS(X) X(ck_fas) X(ck_ticket) X(ck_mcs)
#else
#define CPAT_MUTEX_PEERS(X)
#endif

#define CPAT_MUTEX_VARIANTS(X)                                                                     \
    X(null)                                                                                        \
    X(pthread) X(pthread_adaptive) X(spin) X(ticket) X(mcs) X(futex) X(adaptive) CPAT_MUTEX_PEERS(X)

#endif
