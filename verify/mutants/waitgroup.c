/* Broken waitgroups.  Each is a correct variant with one deliberate bug,
 * named after it. */
#include <errno.h>
#include <stdatomic.h>

#include "mutants.h"
#include "waitgroup/atomic.h"
#include "waitgroup/futex.h"
#include "waitgroup/ops.h"
#include "waitgroup/pthread.h"

/* early_wake: the futex waitgroup releases its waiters when the counter
 * reaches 1, not 0 (W1). */
#define cpat_waitgroup_mutant_early_wake            cpat_waitgroup_futex
#define cpat_waitgroup_mutant_early_wake_init       cpat_waitgroup_futex_init
#define cpat_waitgroup_mutant_early_wake_destroy    cpat_waitgroup_futex_destroy
#define cpat_waitgroup_mutant_early_wake_wait_until cpat_waitgroup_futex_wait_until
#define cpat_waitgroup_mutant_early_wake_kick       cpat_waitgroup_futex_kick
#define cpat_waitgroup_mutant_early_wake_wait       cpat_waitgroup_futex_wait
static int cpat_waitgroup_mutant_early_wake_add(struct cpat_waitgroup_mutant_early_wake *wg,
                                                int delta) {
    uint64_t s = cpat_waitgroup_state_add(&wg->state, delta);
    if (cpat_waitgroup_counter(s) <= 1 && cpat_waitgroup_waiters(s)) /* BUG: <= 1 */
        cpat_sema_post(&wg->sema, (int)cpat_waitgroup_waiters(s));
    return 0;
}
static int cpat_waitgroup_mutant_early_wake_done(struct cpat_waitgroup_mutant_early_wake *wg) {
    return cpat_waitgroup_mutant_early_wake_add(wg, -1);
}
CPAT_WAITGROUP_OPS(mutant_early_wake, "mutant", CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "futex waitgroup that wakes its waiters at 1");

/* lost_wakeup: the futex waitgroup's waiter parks without counting itself
 * in, so the last done() sees nobody to wake (a hang: the watchdog, W1). */
#define cpat_waitgroup_mutant_lost_wakeup            cpat_waitgroup_futex
#define cpat_waitgroup_mutant_lost_wakeup_init       cpat_waitgroup_futex_init
#define cpat_waitgroup_mutant_lost_wakeup_destroy    cpat_waitgroup_futex_destroy
#define cpat_waitgroup_mutant_lost_wakeup_wait_until cpat_waitgroup_futex_wait_until
#define cpat_waitgroup_mutant_lost_wakeup_kick       cpat_waitgroup_futex_kick
#define cpat_waitgroup_mutant_lost_wakeup_add        cpat_waitgroup_futex_add
#define cpat_waitgroup_mutant_lost_wakeup_done       cpat_waitgroup_futex_done
static void cpat_waitgroup_mutant_lost_wakeup_wait(struct cpat_waitgroup_mutant_lost_wakeup *wg) {
    if (cpat_waitgroup_counter(atomic_load_explicit(&wg->state, memory_order_acquire)))
        cpat_sema_wait(&wg->sema); /* BUG: not counted in as a waiter */
}
CPAT_WAITGROUP_OPS(mutant_lost_wakeup, "mutant",
                   CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "futex waitgroup whose waiters do not record themselves");

/* relaxed_done: the atomic waitgroup's add/done RMW is relaxed, so a
 * worker's work does not happen-before the return of wait() (W1 under
 * TSan). */
#define cpat_waitgroup_mutant_relaxed_done            cpat_waitgroup_atomic
#define cpat_waitgroup_mutant_relaxed_done_init       cpat_waitgroup_atomic_init
#define cpat_waitgroup_mutant_relaxed_done_destroy    cpat_waitgroup_atomic_destroy
#define cpat_waitgroup_mutant_relaxed_done_wait_until cpat_waitgroup_atomic_wait_until
#define cpat_waitgroup_mutant_relaxed_done_kick       cpat_waitgroup_atomic_kick
#define cpat_waitgroup_mutant_relaxed_done_wait       cpat_waitgroup_atomic_wait
static int cpat_waitgroup_mutant_relaxed_done_add(struct cpat_waitgroup_mutant_relaxed_done *wg,
                                                  int delta) {
    uint64_t s = atomic_fetch_add_explicit(&wg->state, (uint64_t)(int64_t)delta << 32,
                                           memory_order_relaxed); /* BUG: relaxed */
    cpat_waitgroup_rule(cpat_waitgroup_counter(s), cpat_waitgroup_waiters(s), delta);
    return 0;
}
static int cpat_waitgroup_mutant_relaxed_done_done(struct cpat_waitgroup_mutant_relaxed_done *wg) {
    return cpat_waitgroup_mutant_relaxed_done_add(wg, -1);
}
CPAT_WAITGROUP_OPS(mutant_relaxed_done, "mutant", CPAT_WAITGROUP_DETECTS_REUSE,
                   "atomic waitgroup whose done() is relaxed");

/* silent_negative: the atomic waitgroup takes its counter below zero
 * without a word (W2). */
#define cpat_waitgroup_mutant_silent_negative            cpat_waitgroup_atomic
#define cpat_waitgroup_mutant_silent_negative_init       cpat_waitgroup_atomic_init
#define cpat_waitgroup_mutant_silent_negative_destroy    cpat_waitgroup_atomic_destroy
#define cpat_waitgroup_mutant_silent_negative_wait_until cpat_waitgroup_atomic_wait_until
#define cpat_waitgroup_mutant_silent_negative_kick       cpat_waitgroup_atomic_kick
#define cpat_waitgroup_mutant_silent_negative_wait       cpat_waitgroup_atomic_wait
static int
cpat_waitgroup_mutant_silent_negative_add(struct cpat_waitgroup_mutant_silent_negative *wg,
                                          int delta) {
    /* BUG: no rule, the counter wraps */
    atomic_fetch_add_explicit(&wg->state, (uint64_t)(int64_t)delta << 32, memory_order_acq_rel);
    return 0;
}
static int
cpat_waitgroup_mutant_silent_negative_done(struct cpat_waitgroup_mutant_silent_negative *wg) {
    return cpat_waitgroup_mutant_silent_negative_add(wg, -1);
}
CPAT_WAITGROUP_OPS(mutant_silent_negative, "mutant", CPAT_WAITGROUP_DETECTS_REUSE,
                   "atomic waitgroup that lets its counter go below zero");

/* no_reuse_check: the pthread waitgroup claims to detect reuse but its
 * add() ignores the waiters still returning (W2). */
#define cpat_waitgroup_mutant_no_reuse_check            cpat_waitgroup_pthread
#define cpat_waitgroup_mutant_no_reuse_check_init       cpat_waitgroup_pthread_init
#define cpat_waitgroup_mutant_no_reuse_check_destroy    cpat_waitgroup_pthread_destroy
#define cpat_waitgroup_mutant_no_reuse_check_wait_until cpat_waitgroup_pthread_wait_until
#define cpat_waitgroup_mutant_no_reuse_check_kick       cpat_waitgroup_pthread_kick
#define cpat_waitgroup_mutant_no_reuse_check_wait       cpat_waitgroup_pthread_wait
static int cpat_waitgroup_mutant_no_reuse_check_add(struct cpat_waitgroup_mutant_no_reuse_check *wg,
                                                    int delta) {
    cpat_waitgroup_pthread_lock(wg);
    wg->counter = cpat_waitgroup_rule(wg->counter, 0 /* BUG: not wg->waiters */, delta);
    if (wg->counter == 0 && wg->waiters)
        pthread_cond_broadcast(&wg->zero);
    cpat_waitgroup_pthread_unlock(wg);
    return 0;
}
static int
cpat_waitgroup_mutant_no_reuse_check_done(struct cpat_waitgroup_mutant_no_reuse_check *wg) {
    return cpat_waitgroup_mutant_no_reuse_check_add(wg, -1);
}
CPAT_WAITGROUP_OPS(mutant_no_reuse_check, "mutant",
                   CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "pthread waitgroup that claims to detect reuse but does not");

/* stays_joined: the futex waitgroup's ctx-aware wait gives up without
 * counting itself out, so the zero still posts its token: a later round's
 * waiter takes it and returns while the counter is above zero, or add()
 * finds the departed waiter and aborts as on reuse (X6). */
#define cpat_waitgroup_mutant_stays_joined         cpat_waitgroup_futex
#define cpat_waitgroup_mutant_stays_joined_init    cpat_waitgroup_futex_init
#define cpat_waitgroup_mutant_stays_joined_destroy cpat_waitgroup_futex_destroy
#define cpat_waitgroup_mutant_stays_joined_add     cpat_waitgroup_futex_add
#define cpat_waitgroup_mutant_stays_joined_done    cpat_waitgroup_futex_done
#define cpat_waitgroup_mutant_stays_joined_wait    cpat_waitgroup_futex_wait
#define cpat_waitgroup_mutant_stays_joined_kick    cpat_waitgroup_futex_kick
static int
cpat_waitgroup_mutant_stays_joined_wait_until(struct cpat_waitgroup_mutant_stays_joined *wg,
                                              uint64_t deadline_ns, struct cpat_stop *stop) {
    if (!cpat_waitgroup_state_join(&wg->state))
        return 0;
    int r = cpat_sema_wait_until(&wg->sema, deadline_ns, stop);
    if (r)
        return r; /* BUG: still counted in */
    cpat_waitgroup_state_leave(&wg->state);
    return 0;
}
CPAT_WAITGROUP_OPS(mutant_stays_joined, "mutant",
                   CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "futex waitgroup whose ctx-aware wait leaves without counting itself out");

/* deaf: the futex waitgroup's kick does nothing, so a waiter asleep when
 * its context is cancelled sleeps on until the counter reaches zero (X6:
 * the round whose done()s wait for the waiters to return hangs: the
 * watchdog). */
#define cpat_waitgroup_mutant_deaf            cpat_waitgroup_futex
#define cpat_waitgroup_mutant_deaf_init       cpat_waitgroup_futex_init
#define cpat_waitgroup_mutant_deaf_destroy    cpat_waitgroup_futex_destroy
#define cpat_waitgroup_mutant_deaf_add        cpat_waitgroup_futex_add
#define cpat_waitgroup_mutant_deaf_done       cpat_waitgroup_futex_done
#define cpat_waitgroup_mutant_deaf_wait       cpat_waitgroup_futex_wait
#define cpat_waitgroup_mutant_deaf_wait_until cpat_waitgroup_futex_wait_until
static void cpat_waitgroup_mutant_deaf_kick(struct cpat_waitgroup_mutant_deaf *wg,
                                            struct cpat_stop *stop) {
    (void)stop;
    (void)wg; /* BUG: no kick */
}
CPAT_WAITGROUP_OPS(mutant_deaf, "mutant", CPAT_WAITGROUP_PARKS | CPAT_WAITGROUP_DETECTS_REUSE,
                   "futex waitgroup whose ctx-aware waiters never hear the cancel");

const struct vmutant_waitgroup vmutants_waitgroup[] = {
    {&cpat_waitgroup_mutant_early_wake_ops, false, "W1"},
    {&cpat_waitgroup_mutant_lost_wakeup_ops, false, "watchdog"},
    {&cpat_waitgroup_mutant_relaxed_done_ops, true, "W1 (TSan)"},
    {&cpat_waitgroup_mutant_silent_negative_ops, false, "W2"},
    {&cpat_waitgroup_mutant_no_reuse_check_ops, false, "W2"},
    {&cpat_waitgroup_mutant_stays_joined_ops, false, "X6"},
    {&cpat_waitgroup_mutant_deaf_ops, false, "X6 (watchdog)"},
    {NULL, false, NULL},
};
