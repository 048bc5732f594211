/* A counting semaphore on a futex word: hands wake-ups to a known number of
 * waiters, as Go's runtime semaphores do for sync.RWMutex (readerSem,
 * writerSem) and sync.WaitGroup.
 *
 * s->count:    tokens not yet taken; sleepers wait on this futex word while
 *              it is 0
 * s->sleepers: threads parked, or about to park, on count; post() makes the
 *              wake syscall only when it is non-zero
 *
 * wait() takes one token, polling briefly before it parks; post(n) adds n
 * tokens and wakes up to n sleepers.  A token carries happens-before: what
 * the poster wrote before post() is visible to the thread that takes it.
 *
 * wait_until() also gives up at a deadline or when its stop flag is set:
 * how a ctx-aware wait leaves (context.h).  It sleeps with futex bit
 * SEMA_STOP_BIT (wait() with SEMA_PLAIN_BIT; post's FUTEX_WAKE wakes
 * either), and kick() -- called by whoever set the flag -- wakes those
 * sleepers until the flag's owner says it is awake (common/stop.h): a kick
 * does not change count, so one wake-up could come too early.
 */
#ifndef CPAT_COMMON_SEMA_H
#define CPAT_COMMON_SEMA_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/futex.h"
#include "common/stop.h"

struct cpat_sema {
    _Atomic uint32_t count;
    _Atomic uint32_t sleepers;
};

static inline void cpat_sema_init(struct cpat_sema *s) {
    atomic_init(&s->count, 0);
    atomic_init(&s->sleepers, 0);
}

/* Takes a token if one is there: 0, else EAGAIN. */
static inline int cpat_sema_trywait(struct cpat_sema *s) {
    uint32_t c = atomic_load_explicit(&s->count, memory_order_relaxed);
    /* c -> c-1.  Acquire pairs with the add in post. */
    while (c)
        if (atomic_compare_exchange_weak_explicit(&s->count, &c, c - 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    return EAGAIN;
}

/* Takes a token, blocking until there is one. */
void cpat_sema_wait(struct cpat_sema *s);

/* The same, polling `polls` times before it parks; true if it slept (a
 * caller that decided when to park itself passes 0 and learns whether the
 * park cost it a wake-up). */
bool cpat_sema_wait_polls(struct cpat_sema *s, int polls);

/* Takes a token like wait(), but gives up: ETIMEDOUT once deadline_ns
 * (cpat_now_ns() time; UINT64_MAX: never) has passed, ECANCELED once the
 * flag is set.  0 if it took a token; a token there is taken in preference
 * to giving up. */
int cpat_sema_wait_until(struct cpat_sema *s, uint64_t deadline_ns, struct cpat_stop *stop);

/* After cpat_stop_set(stop): wakes the wait_until() that owns stop. */
void cpat_sema_kick(struct cpat_sema *s, struct cpat_stop *stop);

/* Adds n > 0 tokens. */
static inline void cpat_sema_post(struct cpat_sema *s, int n) {
    /* seq_cst, the add and the load of sleepers: they are one side of a
     * Dekker pair whose other side is a sleeper's increment of sleepers and
     * load of count (cpat_sema_wait).  Either the sleeper sees our tokens
     * and does not park, or we see it and wake it.  The add is also the
     * release that the token's taker acquires. */
    atomic_fetch_add_explicit(&s->count, (uint32_t)n, memory_order_seq_cst);
    if (atomic_load_explicit(&s->sleepers, memory_order_seq_cst))
        cpat_futex_wake(&s->count, n);
}

#endif
