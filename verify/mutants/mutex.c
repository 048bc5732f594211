/* Broken mutexes.  Each is a correct variant with one deliberate bug,
 * named after it. */
#include <errno.h>
#include <stdatomic.h>
#include <time.h>

#include "../harness.h"
#include "common/clock.h"
#include "common/futex.h"
#include "common/spin.h"
#include "mutants.h"
#include "mutex/adaptive.h"
#include "mutex/futex.h"
#include "mutex/ops.h"
#include "mutex/spin.h"

/* relaxed_unlock: the spin lock's unlock stores 0 relaxed.  The critical
 * section no longer happens-before the next holder's (M2 under TSan). */
#define cpat_mutex_mutant_relaxed_unlock         cpat_mutex_spin
#define cpat_mutex_mutant_relaxed_unlock_init    cpat_mutex_spin_init
#define cpat_mutex_mutant_relaxed_unlock_destroy cpat_mutex_spin_destroy
#define cpat_mutex_mutant_relaxed_unlock_lock    cpat_mutex_spin_lock
#define cpat_mutex_mutant_relaxed_unlock_trylock cpat_mutex_spin_trylock
static int cpat_mutex_mutant_relaxed_unlock_unlock(struct cpat_mutex_mutant_relaxed_unlock *m) {
    atomic_store_explicit(&m->locked, 0, memory_order_relaxed); /* BUG: not release */
    return 0;
}
CPAT_MUTEX_OPS(mutant_relaxed_unlock, "mutant", 0, "spin lock whose unlock is relaxed");

/* lost_wakeup: the futex lock's waiter marks the word 1 instead of 2 before
 * sleeping, so unlock believes nobody sleeps and never wakes it (a hang:
 * the watchdog, M1/M2/M4). */
#define cpat_mutex_mutant_lost_wakeup         cpat_mutex_futex
#define cpat_mutex_mutant_lost_wakeup_init    cpat_mutex_futex_init
#define cpat_mutex_mutant_lost_wakeup_destroy cpat_mutex_futex_destroy
#define cpat_mutex_mutant_lost_wakeup_trylock cpat_mutex_futex_trylock
#define cpat_mutex_mutant_lost_wakeup_unlock  cpat_mutex_futex_unlock
static void cpat_mutex_mutant_lost_wakeup_lock(struct cpat_mutex_mutant_lost_wakeup *m) {
    while (atomic_exchange_explicit(&m->state, 1, memory_order_acquire) != 0) /* BUG: 1, not 2 */
        cpat_futex_wait(&m->state, 1, NULL);
}
CPAT_MUTEX_OPS(mutant_lost_wakeup, "mutant", CPAT_MUTEX_PARKS,
               "futex lock whose waiters do not record themselves");

/* trylock_ignores_holder: trylock takes the lock whether or not it is held
 * (M1 via M3's free-for-all, M3). */
#define cpat_mutex_mutant_trylock_ignores_holder         cpat_mutex_spin
#define cpat_mutex_mutant_trylock_ignores_holder_init    cpat_mutex_spin_init
#define cpat_mutex_mutant_trylock_ignores_holder_destroy cpat_mutex_spin_destroy
#define cpat_mutex_mutant_trylock_ignores_holder_lock    cpat_mutex_spin_lock
#define cpat_mutex_mutant_trylock_ignores_holder_unlock  cpat_mutex_spin_unlock
static int cpat_mutex_mutant_trylock_ignores_holder_trylock(
    struct cpat_mutex_mutant_trylock_ignores_holder *m) {
    atomic_store_explicit(&m->locked, 1, memory_order_release); /* BUG: no test */
    return 0;
}
CPAT_MUTEX_OPS(mutant_trylock_ignores_holder, "mutant", CPAT_MUTEX_DETECTS_BAD_UNLOCK,
               "spin lock whose trylock ignores the holder");

/* silent_bad_unlock: claims to detect an unlock of an unlocked lock but
 * returns 0 (M5). */
#define cpat_mutex_mutant_silent_bad_unlock         cpat_mutex_spin
#define cpat_mutex_mutant_silent_bad_unlock_init    cpat_mutex_spin_init
#define cpat_mutex_mutant_silent_bad_unlock_destroy cpat_mutex_spin_destroy
#define cpat_mutex_mutant_silent_bad_unlock_lock    cpat_mutex_spin_lock
#define cpat_mutex_mutant_silent_bad_unlock_trylock cpat_mutex_spin_trylock
static int
cpat_mutex_mutant_silent_bad_unlock_unlock(struct cpat_mutex_mutant_silent_bad_unlock *m) {
    atomic_store_explicit(&m->locked, 0, memory_order_release); /* BUG: no check */
    return 0;
}
CPAT_MUTEX_OPS(mutant_silent_bad_unlock, "mutant", CPAT_MUTEX_DETECTS_BAD_UNLOCK,
               "spin lock that claims to detect a bad unlock but does not");

/* sleepy: a contended locker sleeps longer than the wait budget before it
 * tries again -- correct, but its waits are unbounded in practice (M4). */
#define cpat_mutex_mutant_sleepy         cpat_mutex_spin
#define cpat_mutex_mutant_sleepy_init    cpat_mutex_spin_init
#define cpat_mutex_mutant_sleepy_destroy cpat_mutex_spin_destroy
#define cpat_mutex_mutant_sleepy_trylock cpat_mutex_spin_trylock
#define cpat_mutex_mutant_sleepy_unlock  cpat_mutex_spin_unlock
static void cpat_mutex_mutant_sleepy_lock(struct cpat_mutex_mutant_sleepy *m) {
    while (cpat_mutex_spin_trylock(m)) {
        uint64_t ns = VERIFY_WAIT_BUDGET_NS + VERIFY_WAIT_BUDGET_NS / 4; /* BUG */
        struct timespec ts = cpat_ns_to_timespec(ns);
        nanosleep(&ts, NULL);
    }
}
CPAT_MUTEX_OPS(mutant_sleepy, "mutant", CPAT_MUTEX_DETECTS_BAD_UNLOCK,
               "spin lock whose waiters sleep past the wait budget");

/* adaptive_no_handoff: the adaptive lock's unlock in hand-off mode clears
 * LOCKED but posts no token, so the waiter it hands the lock to -- the one
 * that has waited longest -- sleeps on, and everyone queues behind it (a
 * hang: the watchdog).  The rest is adaptive.c's unlock_slow. */
#define cpat_mutex_mutant_adaptive_no_handoff         cpat_mutex_adaptive
#define cpat_mutex_mutant_adaptive_no_handoff_init    cpat_mutex_adaptive_init
#define cpat_mutex_mutant_adaptive_no_handoff_destroy cpat_mutex_adaptive_destroy
#define cpat_mutex_mutant_adaptive_no_handoff_lock    cpat_mutex_adaptive_lock
#define cpat_mutex_mutant_adaptive_no_handoff_trylock cpat_mutex_adaptive_trylock
static int cpat_mutex_mutant_adaptive_no_handoff_unlock(struct cpat_mutex_adaptive *m) {
    uint32_t old =
        atomic_fetch_and_explicit(&m->state, ~CPAT_MUTEX_ADAPTIVE_LOCKED, memory_order_release);
    if (!(old & CPAT_MUTEX_ADAPTIVE_LOCKED))
        return EINVAL;
    uint32_t s = old & ~CPAT_MUTEX_ADAPTIVE_LOCKED;
    if (s & CPAT_MUTEX_ADAPTIVE_STARVING)
        return 0; /* BUG: the hand-off posts nothing */
    while (s >= CPAT_MUTEX_ADAPTIVE_WAITER &&
           !(s & (CPAT_MUTEX_ADAPTIVE_LOCKED | CPAT_MUTEX_ADAPTIVE_WOKEN)))
        if (atomic_compare_exchange_weak_explicit(
                &m->state, &s, (s - CPAT_MUTEX_ADAPTIVE_WAITER) | CPAT_MUTEX_ADAPTIVE_WOKEN,
                memory_order_relaxed, memory_order_relaxed)) {
            cpat_mutex_adaptive_post(m);
            break;
        }
    return 0;
}
CPAT_MUTEX_OPS(mutant_adaptive_no_handoff, "mutant",
               CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
               "adaptive lock whose hand-off wakes nobody");

/* adaptive_never_parks: the adaptive lock's waiters spin on trylock for as
 * long as the holder holds it, asleep or not, while the variant says it
 * parks (M6). */
#define cpat_mutex_mutant_adaptive_never_parks         cpat_mutex_adaptive
#define cpat_mutex_mutant_adaptive_never_parks_init    cpat_mutex_adaptive_init
#define cpat_mutex_mutant_adaptive_never_parks_destroy cpat_mutex_adaptive_destroy
#define cpat_mutex_mutant_adaptive_never_parks_trylock cpat_mutex_adaptive_trylock
#define cpat_mutex_mutant_adaptive_never_parks_unlock  cpat_mutex_adaptive_unlock
static void cpat_mutex_mutant_adaptive_never_parks_lock(struct cpat_mutex_adaptive *m) {
    while (cpat_mutex_adaptive_trylock(m)) /* BUG: no budget, no park */
        cpat_cpu_relax();
}
CPAT_MUTEX_OPS(mutant_adaptive_never_parks, "mutant",
               CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
               "adaptive lock whose waiters spin however long the holder sleeps");

/* deaf: the futex lock's ctx-aware waiters never hear the cancel: its kick
 * does nothing, so a waiter asleep when its context is cancelled sleeps on
 * until the lock is free (X6: the round whose holder keeps the lock until
 * every waiter has returned hangs: the watchdog). */
#define cpat_mutex_mutant_deaf            cpat_mutex_futex
#define cpat_mutex_mutant_deaf_init       cpat_mutex_futex_init
#define cpat_mutex_mutant_deaf_destroy    cpat_mutex_futex_destroy
#define cpat_mutex_mutant_deaf_lock       cpat_mutex_futex_lock
#define cpat_mutex_mutant_deaf_trylock    cpat_mutex_futex_trylock
#define cpat_mutex_mutant_deaf_unlock     cpat_mutex_futex_unlock
#define cpat_mutex_mutant_deaf_lock_until cpat_mutex_futex_lock_until
static void cpat_mutex_mutant_deaf_kick(struct cpat_mutex_mutant_deaf *m, struct cpat_stop *stop) {
    (void)m;
    (void)stop; /* BUG: no wake-up */
}
CPAT_MUTEX_OPS_UNTIL(mutant_deaf, "mutant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
                     "futex lock whose ctx-aware waiters never hear the cancel");

/* keeps_lock: the spin lock's ctx-aware lock looks at the flag after it
 * has taken the lock, and reports the cancel holding it (X6: the lock is
 * still held after the round). */
#define cpat_mutex_mutant_keeps_lock         cpat_mutex_spin
#define cpat_mutex_mutant_keeps_lock_init    cpat_mutex_spin_init
#define cpat_mutex_mutant_keeps_lock_destroy cpat_mutex_spin_destroy
#define cpat_mutex_mutant_keeps_lock_lock    cpat_mutex_spin_lock
#define cpat_mutex_mutant_keeps_lock_trylock cpat_mutex_spin_trylock
#define cpat_mutex_mutant_keeps_lock_unlock  cpat_mutex_spin_unlock
#define cpat_mutex_mutant_keeps_lock_kick    cpat_mutex_spin_kick
static int cpat_mutex_mutant_keeps_lock_lock_until(struct cpat_mutex_mutant_keeps_lock *m,
                                                   uint64_t deadline_ns, struct cpat_stop *stop) {
    int r = cpat_mutex_spin_lock_until(m, deadline_ns, stop);
    if (r == 0 && cpat_stop_is_set(stop))
        return ECANCELED; /* BUG: still holding the lock */
    return r;
}
CPAT_MUTEX_OPS_UNTIL(mutant_keeps_lock, "mutant",
                     CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_UNBOUNDED,
                     "spin lock whose ctx-aware lock reports the cancel while holding the lock");

/* swallows_wake: the futex lock's ctx-aware waiter, woken, looks at the
 * flag before the exchange and leaves at once: when unlock's one wake-up
 * came to it, the other sleepers stay asleep on a free lock (X6's plain
 * locker: the watchdog). */
#define cpat_mutex_mutant_swallows_wake         cpat_mutex_futex
#define cpat_mutex_mutant_swallows_wake_init    cpat_mutex_futex_init
#define cpat_mutex_mutant_swallows_wake_destroy cpat_mutex_futex_destroy
#define cpat_mutex_mutant_swallows_wake_lock    cpat_mutex_futex_lock
#define cpat_mutex_mutant_swallows_wake_trylock cpat_mutex_futex_trylock
#define cpat_mutex_mutant_swallows_wake_unlock  cpat_mutex_futex_unlock
#define cpat_mutex_mutant_swallows_wake_kick    cpat_mutex_futex_kick
static int cpat_mutex_mutant_swallows_wake_lock_until(struct cpat_mutex_mutant_swallows_wake *m,
                                                      uint64_t deadline_ns,
                                                      struct cpat_stop *stop) {
    (void)deadline_ns; /* the check's cancel rounds are what catch it */
    while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0) {
        if (!cpat_stop_sleeping(stop))
            return ECANCELED;
        cpat_futex_wait_bits(&m->state, 2, NULL, 2u);
        cpat_stop_awake(stop);
        if (cpat_stop_is_set(stop))
            return ECANCELED; /* BUG: unlock's wake-up may have been ours */
    }
    return 0;
}
CPAT_MUTEX_OPS_UNTIL(mutant_swallows_wake, "mutant",
                     CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_PARKS,
                     "futex lock whose ctx-aware waiter leaves with unlock's wake-up");

const struct vmutant_mutex vmutants_mutex[] = {
    {&cpat_mutex_mutant_relaxed_unlock_ops, true, "M2 (TSan)"},
    {&cpat_mutex_mutant_lost_wakeup_ops, false, "watchdog"},
    {&cpat_mutex_mutant_trylock_ignores_holder_ops, false, "M3"},
    {&cpat_mutex_mutant_silent_bad_unlock_ops, false, "M5"},
    {&cpat_mutex_mutant_sleepy_ops, false, "M4"},
    {&cpat_mutex_mutant_adaptive_no_handoff_ops, false, "watchdog"},
    {&cpat_mutex_mutant_adaptive_never_parks_ops, false, "M6"},
    {&cpat_mutex_mutant_deaf_ops, false, "X6 (watchdog)"},
    {&cpat_mutex_mutant_keeps_lock_ops, false, "X6"},
    {&cpat_mutex_mutant_swallows_wake_ops, false, "X6 (watchdog)"},
    {NULL, false, NULL},
};
