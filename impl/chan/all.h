/* Every channel variant's direct interface, and the lists of them.
 * CPAT_CHAN_VARIANTS(X) calls X(V) for each variant V; the benchmarks
 * instantiate their loops from it and the registry lists the tables from
 * it.  The peers cannot do everything: CPAT_CHAN_SELECT_VARIANTS lists
 * those with select, CPAT_CHAN_UNBUFFERED_VARIANTS those with capacity 0. */
#ifndef CPAT_CHAN_ALL_H
#define CPAT_CHAN_ALL_H

#include "chan/atomic.h"
#include "chan/futex.h"
#include "chan/null.h"
#include "chan/pthread.h"

#if CPAT_HAVE_CK
#include "chan/ck_ring.h"
#define CPAT_CHAN_PEERS(X) X(ck_ring)
#else
#define CPAT_CHAN_PEERS(X)
#endif

#define CPAT_CHAN_SELECT_VARIANTS(X)     X(null) X(pthread) X(atomic) X(futex)
#define CPAT_CHAN_UNBUFFERED_VARIANTS(X) CPAT_CHAN_SELECT_VARIANTS(X)
#define CPAT_CHAN_VARIANTS(X)            CPAT_CHAN_SELECT_VARIANTS(X) CPAT_CHAN_PEERS(X)

#endif
