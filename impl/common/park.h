/* When to stop spinning and park: what a wait needs to decide it.
 *
 * cpat_park_cost_ns() is this process's measured cost of one park: the time
 * from a waker's post to the parked thread running again (a FUTEX_WAKE,
 * the scheduler, a context switch).  It is an average of what the adaptive
 * locks observe when their waiters actually sleep (cpat_park_observe), so
 * it is this machine's figure, not a constant: ~5-10 us on bare-metal x86,
 * 15-30 us on the 2-vCPU KVM guest cpat was built on (limits.futex_rtt is
 * twice it, one wake each way).  Until the first parks it is
 * CPAT_PARK_COST_SEED_NS.  Spinning for as long as one park costs, then
 * parking, never costs more than twice the better of the two choices made
 * in hindsight (the classic competitive bound for spin-then-block).
 *
 * cpat_spare_pu() says whether a PU is free for a spinner: at most as many
 * threads runnable, machine-wide, as PUs online.  When none is, the
 * thread we wait for may be waiting for our PU, and spinning delays it. */
#ifndef CPAT_COMMON_PARK_H
#define CPAT_COMMON_PARK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"

#define CPAT_PARK_COST_SEED_NS 10000u
/* Observations are clamped to [MIN, MAX].  A waiter woken late because
 * every PU was busy measured the run queue as well as the park: that is a
 * real cost of parking on a loaded machine, and users of the estimate
 * decide how much of it to believe (a spin lasts at most CPAT_SPIN_MAX_NS
 * whatever the estimate). */
#define CPAT_PARK_COST_MIN_NS  1000u
#define CPAT_PARK_COST_MAX_NS  10000000u

extern _Atomic uint32_t cpat_park_cost_est_ns;

static inline uint32_t cpat_park_cost_ns(void) {
    /* Relaxed: an estimate; nothing else is published with it. */
    return atomic_load_explicit(&cpat_park_cost_est_ns, memory_order_relaxed);
}

/* A waiter that slept reports post -> running again, in ns. */
void cpat_park_observe(uint64_t ns);

/* See above.  Asks the kernel (/proc/loadavg) at most once per
 * millisecond per thread; without /proc it says yes. */
bool cpat_spare_pu(uint64_t now_ns);

/* The longest spin, whatever parks cost: a park measured during an
 * overload includes time in the run queue, and spinning then helps no one. */
#define CPAT_SPIN_MAX_NS 50000u
/* PAUSEs between two looks at the awaited word while spinning (Go's
 * sync.Mutex: 30).  Every look pulls the line from the holder's cache;
 * looking less often leaves the holder its line to unlock and re-lock at
 * L1 speed, many times in a row.  Measured on the 2-vCPU KVM guest (Intel
 * host, cpat-bench, medians of 3, limits.cacheline_rtt 113-135 ns), the
 * adaptive mutex with 1 / 8 / 30 PAUSEs between looks: mutex.contended at
 * 2 threads 16.7 / 31.5 / 63.3 M/s (Go 57.2), at 4 threads 14.8 / 26.3 /
 * 55.3 (Go 23.0); mutex.work at 2 threads 3.7 / 6.8 / 8.0; mutex.handoff
 * p99 at 2 threads 946 / 339 / 207 ns (Go 702). */
#ifndef CPAT_SPIN_PAUSES
#define CPAT_SPIN_PAUSES 30
#endif
/* The clock is read once every CPAT_SPIN_CHECK polls, i.e. every
 * CPAT_SPIN_CHECK x CPAT_SPIN_PAUSES PAUSEs (~480: 7-25 us by the core's
 * PAUSE): a spin may overrun its budget by that much.  Finer checks would
 * cost a clock read (~20 ns) per poll; not yet measured. */
#define CPAT_SPIN_CHECK 16

/* One wait's spin, zero-initialized: it may go on for the measured cost of
 * a park (at most CPAT_SPIN_MAX_NS), and for only a quarter of that when
 * the machine has no spare PU -- the thread we wait for may be waiting for
 * ours.  The budget starts at the first check. */
struct cpat_spin {
    uint64_t t0;
    uint32_t budget_ns, polls;
};

bool cpat_spin_check(struct cpat_spin *sp);

/* Call once per poll: true while spinning on may pay off. */
static inline bool cpat_spin_on(struct cpat_spin *sp) {
    return ++sp->polls % CPAT_SPIN_CHECK ? true : cpat_spin_check(sp);
}

#endif
