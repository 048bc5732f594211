/* A counting semaphore on a futex word: hands wake-ups to a known number of
 * waiters, as Go's runtime semaphores do for sync.RWMutex (readerSem,
 * writerSem) and sync.WaitGroup.
 *
 * s->count:    kicks << CPAT_SEMA_KICK_SHIFT | tokens
 *              tokens (low 22 bits): not yet taken; sleepers wait on this
 *              futex word while there are none
 *              kicks (high 10 bits, wrapping): bumped by kick(), so that a
 *              sleeper that read the word before the kick cannot sleep
 *              through it (the kernel compares the whole word)
 * s->sleepers: threads parked, or about to park, on count; post() and
 *              kick() make the wake syscall only when it is non-zero
 *
 * wait() takes one token, polling briefly before it parks; post(n) adds n
 * tokens and wakes up to n sleepers.  A token carries happens-before: what
 * the poster wrote before post() is visible to the thread that takes it.
 * wait_until() also gives up at a deadline or, woken by kick(), when the
 * caller's stop word is set: how a ctx-aware wait leaves (context.h).
 */
#ifndef CPAT_COMMON_SEMA_H
#define CPAT_COMMON_SEMA_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/futex.h"
#include "common/stop.h"

#define CPAT_SEMA_KICK_SHIFT 22
#define CPAT_SEMA_TOKENS     ((1u << CPAT_SEMA_KICK_SHIFT) - 1) /* at most 4M waiters */

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
    /* c -> c-1 (a token; the kicks above it are kept).  Acquire pairs with
     * the add in post. */
    while (c & CPAT_SEMA_TOKENS)
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
 * (cpat_now_ns() time; UINT64_MAX: never) has passed, ECANCELED once it
 * finds *stop non-zero -- which it reads before it parks and after every
 * wake, so whoever sets *stop must then kick(s).  0 if it took a token;
 * a token is taken in preference to giving up. */
int cpat_sema_wait_until(struct cpat_sema *s, uint64_t deadline_ns, const struct cpat_stop *stop);

/* Wakes every sleeper to look at its stop word again; takes no token and
 * gives none. */
static inline void cpat_sema_kick(struct cpat_sema *s) {
    /* seq_cst: the same Dekker pair as post's.  A sleeper either reads
     * count after our add (and, through it, the stop word its waker set
     * before calling us: the add is a release) or sleeps on a value we
     * have changed, which the kernel refuses. */
    atomic_fetch_add_explicit(&s->count, 1u << CPAT_SEMA_KICK_SHIFT, memory_order_seq_cst);
    if (atomic_load_explicit(&s->sleepers, memory_order_seq_cst))
        cpat_futex_wake(&s->count, CPAT_FUTEX_WAKE_ALL);
}

/* Adds n > 0 tokens (the tokens held at once stay below 2^22). */
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
