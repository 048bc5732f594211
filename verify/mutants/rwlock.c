/* Broken rwlocks.  Each is a correct variant with one deliberate bug,
 * named after it. */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>

#include "common/tsan.h"
#include "mutants.h"
#include "common/spin.h"
#include "rwlock/adaptive.h"
#include "rwlock/bravo.h"
#include "rwlock/brlock.h"
#include "rwlock/futex.h"
#include "rwlock/ops.h"
#include "rwlock/spin.h"

/* reader_ignores_writer: the spin lock's readers count themselves in
 * without testing the writer bit (R1; the lock may also wedge, which the
 * watchdog reports). */
#define cpat_rwlock_mutant_reader_ignores_writer          cpat_rwlock_spin
#define cpat_rwlock_mutant_reader_ignores_writer_init     cpat_rwlock_spin_init
#define cpat_rwlock_mutant_reader_ignores_writer_destroy  cpat_rwlock_spin_destroy
#define cpat_rwlock_mutant_reader_ignores_writer_rdunlock cpat_rwlock_spin_rdunlock
#define cpat_rwlock_mutant_reader_ignores_writer_wrlock   cpat_rwlock_spin_wrlock
#define cpat_rwlock_mutant_reader_ignores_writer_wrunlock cpat_rwlock_spin_wrunlock
#define cpat_rwlock_mutant_reader_ignores_writer_trywr    cpat_rwlock_spin_trywr
static int
cpat_rwlock_mutant_reader_ignores_writer_tryrd(struct cpat_rwlock_mutant_reader_ignores_writer *l) {
    atomic_fetch_add_explicit(&l->word, 1, memory_order_acquire); /* BUG: no writer test */
    return 0;
}
static void cpat_rwlock_mutant_reader_ignores_writer_rdlock(
    struct cpat_rwlock_mutant_reader_ignores_writer *l) {
    cpat_rwlock_mutant_reader_ignores_writer_tryrd(l);
}
CPAT_RWLOCK_OPS(mutant_reader_ignores_writer, "mutant", CPAT_RWLOCK_DETECTS_BAD_UNLOCK,
                "spin rwlock whose readers skip the writer bit");

/* relaxed_wrunlock: the spin lock's wrunlock stores 0 relaxed.  The
 * writer's section no longer happens-before the next reader's (R1 under
 * TSan). */
#define cpat_rwlock_mutant_relaxed_wrunlock          cpat_rwlock_spin
#define cpat_rwlock_mutant_relaxed_wrunlock_init     cpat_rwlock_spin_init
#define cpat_rwlock_mutant_relaxed_wrunlock_destroy  cpat_rwlock_spin_destroy
#define cpat_rwlock_mutant_relaxed_wrunlock_rdlock   cpat_rwlock_spin_rdlock
#define cpat_rwlock_mutant_relaxed_wrunlock_rdunlock cpat_rwlock_spin_rdunlock
#define cpat_rwlock_mutant_relaxed_wrunlock_wrlock   cpat_rwlock_spin_wrlock
#define cpat_rwlock_mutant_relaxed_wrunlock_tryrd    cpat_rwlock_spin_tryrd
#define cpat_rwlock_mutant_relaxed_wrunlock_trywr    cpat_rwlock_spin_trywr
static int
cpat_rwlock_mutant_relaxed_wrunlock_wrunlock(struct cpat_rwlock_mutant_relaxed_wrunlock *l) {
    atomic_store_explicit(&l->word, 0, memory_order_relaxed); /* BUG: not release */
    return 0;
}
CPAT_RWLOCK_OPS(mutant_relaxed_wrunlock, "mutant", 0, "spin rwlock whose wrunlock is relaxed");

/* reader_preferring: the (reader-preferring) spin lock claims to prefer
 * writers; overlapping readers starve its writer past the budget (R3). */
#define cpat_rwlock_mutant_reader_preferring          cpat_rwlock_spin
#define cpat_rwlock_mutant_reader_preferring_init     cpat_rwlock_spin_init
#define cpat_rwlock_mutant_reader_preferring_destroy  cpat_rwlock_spin_destroy
#define cpat_rwlock_mutant_reader_preferring_rdlock   cpat_rwlock_spin_rdlock
#define cpat_rwlock_mutant_reader_preferring_rdunlock cpat_rwlock_spin_rdunlock
#define cpat_rwlock_mutant_reader_preferring_wrlock   cpat_rwlock_spin_wrlock
#define cpat_rwlock_mutant_reader_preferring_wrunlock cpat_rwlock_spin_wrunlock
#define cpat_rwlock_mutant_reader_preferring_tryrd    cpat_rwlock_spin_tryrd
#define cpat_rwlock_mutant_reader_preferring_trywr    cpat_rwlock_spin_trywr
CPAT_RWLOCK_OPS(mutant_reader_preferring, "mutant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_WRITER_PREFERRING, /* BUG: it is not */
                "reader-preferring spin rwlock that claims to prefer writers");

/* lost_reader_wakeup: the futex lock's wrunlock posts one token fewer than
 * readers queued behind it; that reader never gets in and the next writer
 * waits for it forever (a hang: the watchdog, R1). */
#define cpat_rwlock_mutant_lost_reader_wakeup          cpat_rwlock_futex
#define cpat_rwlock_mutant_lost_reader_wakeup_init     cpat_rwlock_futex_init
#define cpat_rwlock_mutant_lost_reader_wakeup_destroy  cpat_rwlock_futex_destroy
#define cpat_rwlock_mutant_lost_reader_wakeup_rdlock   cpat_rwlock_futex_rdlock
#define cpat_rwlock_mutant_lost_reader_wakeup_rdunlock cpat_rwlock_futex_rdunlock
#define cpat_rwlock_mutant_lost_reader_wakeup_wrlock   cpat_rwlock_futex_wrlock
#define cpat_rwlock_mutant_lost_reader_wakeup_tryrd    cpat_rwlock_futex_tryrd
#define cpat_rwlock_mutant_lost_reader_wakeup_trywr    cpat_rwlock_futex_trywr
static int
cpat_rwlock_mutant_lost_reader_wakeup_wrunlock(struct cpat_rwlock_mutant_lost_reader_wakeup *l) {
    int32_t queued =
        atomic_fetch_add_explicit(&l->readers, CPAT_RWLOCK_GO_MAX_READERS, memory_order_release) +
        CPAT_RWLOCK_GO_MAX_READERS;
    if (queued > 1)
        cpat_sema_post(&l->rsem, queued - 1); /* BUG: one token short */
    return cpat_mutex_futex_unlock(&l->w);
}
CPAT_RWLOCK_OPS(mutant_lost_reader_wakeup, "mutant",
                CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "futex rwlock whose wrunlock wakes one queued reader too few");

/* bravo_no_revoke_wait: bravo's writer revokes the bias but does not wait
 * for the readers already in their slots (R1). */
#define cpat_rwlock_mutant_bravo_no_revoke_wait          cpat_rwlock_bravo
#define cpat_rwlock_mutant_bravo_no_revoke_wait_init     cpat_rwlock_bravo_init
#define cpat_rwlock_mutant_bravo_no_revoke_wait_destroy  cpat_rwlock_bravo_destroy
#define cpat_rwlock_mutant_bravo_no_revoke_wait_rdlock   cpat_rwlock_bravo_rdlock
#define cpat_rwlock_mutant_bravo_no_revoke_wait_rdunlock cpat_rwlock_bravo_rdunlock
#define cpat_rwlock_mutant_bravo_no_revoke_wait_wrunlock cpat_rwlock_bravo_wrunlock
#define cpat_rwlock_mutant_bravo_no_revoke_wait_tryrd    cpat_rwlock_bravo_tryrd
#define cpat_rwlock_mutant_bravo_no_revoke_wait_trywr    cpat_rwlock_bravo_trywr
static void
cpat_rwlock_mutant_bravo_no_revoke_wait_wrlock(struct cpat_rwlock_mutant_bravo_no_revoke_wait *l) {
    cpat_rwlock_futex_wrlock(&l->under);
    atomic_store_explicit(&l->rbias, 0, memory_order_seq_cst); /* BUG: no wait for the slots */
}
CPAT_RWLOCK_OPS(mutant_bravo_no_revoke_wait, "mutant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "bravo whose writer does not wait out the slot readers");

/* bravo_relaxed_bias: bravo's fast path re-checks the bias with a relaxed
 * load, so a fast reader does not acquire the last writer's section (R1
 * under TSan; on x86 the exchange before it still orders the machine). */
#define cpat_rwlock_mutant_bravo_relaxed_bias          cpat_rwlock_bravo
#define cpat_rwlock_mutant_bravo_relaxed_bias_init     cpat_rwlock_bravo_init
#define cpat_rwlock_mutant_bravo_relaxed_bias_destroy  cpat_rwlock_bravo_destroy
#define cpat_rwlock_mutant_bravo_relaxed_bias_rdunlock cpat_rwlock_bravo_rdunlock
#define cpat_rwlock_mutant_bravo_relaxed_bias_wrlock   cpat_rwlock_bravo_wrlock
#define cpat_rwlock_mutant_bravo_relaxed_bias_wrunlock cpat_rwlock_bravo_wrunlock
#define cpat_rwlock_mutant_bravo_relaxed_bias_trywr    cpat_rwlock_bravo_trywr
static int
cpat_rwlock_mutant_bravo_relaxed_bias_tryfast(struct cpat_rwlock_mutant_bravo_relaxed_bias *l) {
    _Atomic uint32_t *slot = cpat_rwlock_bravo_slot(l);
    if (!slot || !atomic_load_explicit(&l->rbias, memory_order_relaxed) ||
        atomic_load_explicit(slot, memory_order_relaxed))
        return EAGAIN;
    atomic_exchange_explicit(slot, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&l->rbias, memory_order_relaxed)) /* BUG: not seq_cst */
        return 0;
    atomic_store_explicit(slot, 0, memory_order_release);
    return EAGAIN;
}
static void
cpat_rwlock_mutant_bravo_relaxed_bias_rdlock(struct cpat_rwlock_mutant_bravo_relaxed_bias *l) {
    if (cpat_rwlock_mutant_bravo_relaxed_bias_tryfast(l))
        cpat_rwlock_futex_rdlock(&l->under);
}
static int
cpat_rwlock_mutant_bravo_relaxed_bias_tryrd(struct cpat_rwlock_mutant_bravo_relaxed_bias *l) {
    if (cpat_rwlock_mutant_bravo_relaxed_bias_tryfast(l) == 0)
        return 0;
    return cpat_rwlock_futex_tryrd(&l->under);
}
CPAT_RWLOCK_OPS(mutant_bravo_relaxed_bias, "mutant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "bravo whose fast path re-checks the bias relaxed");

/* brlock_no_wake: brlock's wrunlock never wakes the threads sleeping on the
 * word; a reader or writer that went to sleep stays asleep (a hang: the
 * watchdog). */
#define cpat_rwlock_mutant_brlock_no_wake          cpat_rwlock_brlock
#define cpat_rwlock_mutant_brlock_no_wake_init     cpat_rwlock_brlock_init
#define cpat_rwlock_mutant_brlock_no_wake_destroy  cpat_rwlock_brlock_destroy
#define cpat_rwlock_mutant_brlock_no_wake_rdlock   cpat_rwlock_brlock_rdlock
#define cpat_rwlock_mutant_brlock_no_wake_rdunlock cpat_rwlock_brlock_rdunlock
#define cpat_rwlock_mutant_brlock_no_wake_wrlock   cpat_rwlock_brlock_wrlock
#define cpat_rwlock_mutant_brlock_no_wake_tryrd    cpat_rwlock_brlock_tryrd
#define cpat_rwlock_mutant_brlock_no_wake_trywr    cpat_rwlock_brlock_trywr
static int cpat_rwlock_mutant_brlock_no_wake_wrunlock(struct cpat_rwlock_mutant_brlock_no_wake *l) {
    atomic_store_explicit(&l->word, 0, memory_order_release); /* BUG: sleepers not woken */
    return 0;
}
CPAT_RWLOCK_OPS(mutant_brlock_no_wake, "mutant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "brlock whose wrunlock does not wake the sleepers");

/* brlock_no_lease: brlock's reader takes the fence-free path without a
 * lease, so nothing makes a writer wait for a reader whose inside = 1 is
 * still in its store buffer while it reads the word (R1: a store-buffer
 * race, which x86 shows within a run).  (A fast read that loads the word
 * relaxed makes no mutant we could catch here: on x86 loads are not
 * reordered, and TSan reads the real memory, where the revoked lease reads
 * 0.  On arm64 the lease load could pass the word load and the reader
 * would enter with a revoked lease; see brlock.h.) */
#define cpat_rwlock_mutant_brlock_no_lease          cpat_rwlock_brlock
#define cpat_rwlock_mutant_brlock_no_lease_init     cpat_rwlock_brlock_init
#define cpat_rwlock_mutant_brlock_no_lease_destroy  cpat_rwlock_brlock_destroy
#define cpat_rwlock_mutant_brlock_no_lease_rdunlock cpat_rwlock_brlock_rdunlock
#define cpat_rwlock_mutant_brlock_no_lease_wrlock   cpat_rwlock_brlock_wrlock
#define cpat_rwlock_mutant_brlock_no_lease_wrunlock cpat_rwlock_brlock_wrunlock
#define cpat_rwlock_mutant_brlock_no_lease_trywr    cpat_rwlock_brlock_trywr
static int cpat_rwlock_mutant_brlock_no_lease_tryrd(struct cpat_rwlock_brlock *l) {
    struct cpat_rwlock_brlock_slot *me = cpat_rwlock_brlock_slot(l);
    if (!me || atomic_load_explicit(&me->inside, memory_order_relaxed))
        return cpat_rwlock_brlock_tryrd(l); /* slotless, or nested: the real path */
    atomic_store_explicit(&me->inside, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&l->word, memory_order_acquire) == 0) /* BUG: lease not checked */
        return 0;
    return cpat_rwlock_brlock_tryread_slow(l, me);
}
static void cpat_rwlock_mutant_brlock_no_lease_rdlock(struct cpat_rwlock_brlock *l) {
    while (cpat_rwlock_mutant_brlock_no_lease_tryrd(l))
        sched_yield();
}
CPAT_RWLOCK_OPS(mutant_brlock_no_lease, "mutant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_WRITER_PREFERRING,
                "brlock whose reader reads fence-free without a lease");

/* silent_bad_unlock: claims to detect a bad rdunlock but decrements
 * whatever it finds (R4). */
#define cpat_rwlock_mutant_silent_bad_unlock          cpat_rwlock_spin
#define cpat_rwlock_mutant_silent_bad_unlock_init     cpat_rwlock_spin_init
#define cpat_rwlock_mutant_silent_bad_unlock_destroy  cpat_rwlock_spin_destroy
#define cpat_rwlock_mutant_silent_bad_unlock_rdlock   cpat_rwlock_spin_rdlock
#define cpat_rwlock_mutant_silent_bad_unlock_wrlock   cpat_rwlock_spin_wrlock
#define cpat_rwlock_mutant_silent_bad_unlock_wrunlock cpat_rwlock_spin_wrunlock
#define cpat_rwlock_mutant_silent_bad_unlock_tryrd    cpat_rwlock_spin_tryrd
#define cpat_rwlock_mutant_silent_bad_unlock_trywr    cpat_rwlock_spin_trywr
static int
cpat_rwlock_mutant_silent_bad_unlock_rdunlock(struct cpat_rwlock_mutant_silent_bad_unlock *l) {
    atomic_fetch_sub_explicit(&l->word, 1, memory_order_release); /* BUG: no check */
    return 0;
}
CPAT_RWLOCK_OPS(mutant_silent_bad_unlock, "mutant", CPAT_RWLOCK_DETECTS_BAD_UNLOCK,
                "spin rwlock that claims to detect a bad rdunlock but does not");

/* adaptive_reader_spins: the adaptive lock's queued readers poll for their
 * token for as long as the writer holds the lock, asleep or not, while the
 * variant says it parks (R5). */
#define cpat_rwlock_mutant_adaptive_reader_spins          cpat_rwlock_adaptive
#define cpat_rwlock_mutant_adaptive_reader_spins_init     cpat_rwlock_adaptive_init
#define cpat_rwlock_mutant_adaptive_reader_spins_destroy  cpat_rwlock_adaptive_destroy
#define cpat_rwlock_mutant_adaptive_reader_spins_rdunlock cpat_rwlock_adaptive_rdunlock
#define cpat_rwlock_mutant_adaptive_reader_spins_wrlock   cpat_rwlock_adaptive_wrlock
#define cpat_rwlock_mutant_adaptive_reader_spins_wrunlock cpat_rwlock_adaptive_wrunlock
#define cpat_rwlock_mutant_adaptive_reader_spins_tryrd    cpat_rwlock_adaptive_tryrd
#define cpat_rwlock_mutant_adaptive_reader_spins_trywr    cpat_rwlock_adaptive_trywr
static void cpat_rwlock_mutant_adaptive_reader_spins_rdlock(struct cpat_rwlock_adaptive *l) {
    if (atomic_fetch_add_explicit(&l->readers, 1, memory_order_acquire) < 0)
        while (cpat_sema_trywait(&l->rsem)) /* BUG: no budget, no park */
            cpat_cpu_relax();
}
CPAT_RWLOCK_OPS(mutant_adaptive_reader_spins, "mutant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "adaptive rwlock whose queued readers spin however long the writer sleeps");

const struct vmutant_rwlock vmutants_rwlock[] = {
    {&cpat_rwlock_mutant_reader_ignores_writer_ops, false, "R1"},
    {&cpat_rwlock_mutant_relaxed_wrunlock_ops, true, "R1 (TSan)"},
    {&cpat_rwlock_mutant_reader_preferring_ops, false, "R3"},
    {&cpat_rwlock_mutant_lost_reader_wakeup_ops, false, "watchdog"},
    {&cpat_rwlock_mutant_bravo_no_revoke_wait_ops, false, "R1"},
    {&cpat_rwlock_mutant_bravo_relaxed_bias_ops, true, "R1 (TSan)"},
    {&cpat_rwlock_mutant_brlock_no_wake_ops, false, "watchdog"},
#if !CPAT_TSAN
    /* A store-buffer race: TSan's instrumented atomics fence the machine,
     * and its model has no store buffer, so only other builds show it. */
    {&cpat_rwlock_mutant_brlock_no_lease_ops, false, "R1"},
#endif
    {&cpat_rwlock_mutant_silent_bad_unlock_ops, false, "R4"},
    {&cpat_rwlock_mutant_adaptive_reader_spins_ops, false, "R5"},
    {NULL, false, NULL},
};
