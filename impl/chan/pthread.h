/* pthread channel: the hand-off channel (hchan.h) under one
 * pthread_mutex_t per channel; a blocked sender, receiver or select sleeps
 * on the condition variable of its own waiter (common/waiter.h), which is
 * what lets one select sleep on many channels at once.  Selects lock their
 * channels in address order (Go's lockorder). */
#ifndef CPAT_CHAN_PTHREAD_H
#define CPAT_CHAN_PTHREAD_H

#include "chan/hchan.h"

CPAT_HCHAN_VARIANT(pthread, HCHAN_PTHREAD)

#endif
