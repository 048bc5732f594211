/* Raw Linux futex, private to the process.
 *
 * cpat_futex_wait() sleeps only while *word still equals `expect` (the kernel
 * checks this atomically against wakers).  It returns 0 for every reason to
 * look at the word again -- a wake, a spurious wake, EINTR, or EAGAIN because
 * the word had already changed -- and ETIMEDOUT when the absolute
 * CLOCK_MONOTONIC deadline passed.  Callers therefore always loop:
 *
 *     while (load(word) == expect) cpat_futex_wait(word, expect, NULL);
 */
#ifndef CPAT_COMMON_FUTEX_H
#define CPAT_COMMON_FUTEX_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cpat/error.h"

static inline long cpat_futex_call(_Atomic uint32_t *word, int op, uint32_t val,
                                   const struct timespec *ts, uint32_t bitset) {
    return syscall(SYS_futex, (uint32_t *)word, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, bitset);
}

/* Sleep while *word == expect, until woken by a wake whose bitset shares a
 * bit with `bits`, or until the absolute CLOCK_MONOTONIC time `deadline`
 * (NULL: no deadline).  Targeted wake-ups: a waiter sleeps with a bit of
 * its own, and a waker names the bit of the one it means. */
static inline int cpat_futex_wait_bits(_Atomic uint32_t *word, uint32_t expect,
                                       const struct timespec *deadline, uint32_t bits) {
    if (cpat_futex_call(word, FUTEX_WAIT_BITSET, expect, deadline, bits) == 0)
        return 0;
    switch (errno) {
    case EAGAIN: /* the word no longer held `expect` */
    case EINTR:  /* a signal: re-check the word */
        return 0;
    case ETIMEDOUT:
        return ETIMEDOUT;
    default:
        cpat_die("futex(FUTEX_WAIT_BITSET)", errno);
    }
}

/* Sleep while *word == expect, until woken or until the absolute
 * CLOCK_MONOTONIC time `deadline` (NULL: no deadline). */
static inline int cpat_futex_wait(_Atomic uint32_t *word, uint32_t expect,
                                  const struct timespec *deadline) {
    return cpat_futex_wait_bits(word, expect, deadline, FUTEX_BITSET_MATCH_ANY);
}

/* Wake up to n threads sleeping on word with a bit of `bits`. */
static inline int cpat_futex_wake_bits(_Atomic uint32_t *word, int n, uint32_t bits) {
    long r = cpat_futex_call(word, FUTEX_WAKE_BITSET, (uint32_t)n, NULL, bits);
    if (r < 0)
        cpat_die("futex(FUTEX_WAKE_BITSET)", errno);
    return (int)r;
}

/* Wake up to n threads sleeping on word; returns how many were woken. */
static inline int cpat_futex_wake(_Atomic uint32_t *word, int n) {
    long r = cpat_futex_call(word, FUTEX_WAKE, (uint32_t)n, NULL, 0);
    if (r < 0)
        cpat_die("futex(FUTEX_WAKE)", errno);
    return (int)r;
}

#define CPAT_FUTEX_WAKE_ALL INT_MAX

#endif
