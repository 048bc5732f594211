/* futex channel: the hand-off channel (hchan.h) under a short 3-state
 * futex lock per channel (mutex/futex.h: bounded spin, then park); a value
 * goes straight to a parked receiver, or straight from a parked sender; a
 * blocked thread polls its waiter's word briefly, then sleeps on it with
 * FUTEX_WAIT, and only a waiter that recorded PARKED is woken. */
#ifndef CPAT_CHAN_FUTEX_H
#define CPAT_CHAN_FUTEX_H

#include "chan/hchan.h"

CPAT_HCHAN_VARIANT(futex, HCHAN_FUTEX)

#endif
