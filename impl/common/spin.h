/* Spinning and bounded exponential backoff.
 *
 * cpat_cpu_relax() tells the core we are in a spin loop (x86 PAUSE, Arm
 * YIELD): it saves power and gives an SMT sibling the pipeline.
 *
 * A backoff doubles its spin count on every failed attempt up to `cap`
 * pauses; once at the cap it also calls sched_yield() so that a preempted
 * lock holder on an oversubscribed machine can run.  The atomic family never
 * parks in the kernel; sched_yield is the only syscall it makes.
 */
#ifndef CPAT_COMMON_SPIN_H
#define CPAT_COMMON_SPIN_H

#include <sched.h>
#include <stdint.h>

static inline void cpat_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

struct cpat_backoff {
    uint32_t spins; /* pauses for the next wait */
    uint32_t cap;   /* largest number of pauses in one wait */
};

#define CPAT_BACKOFF_INIT(cap_)                                                                    \
    { .spins = 1, .cap = (cap_) }

static inline void cpat_backoff_wait(struct cpat_backoff *b) {
    for (uint32_t i = 0; i < b->spins; i++)
        cpat_cpu_relax();
    if (b->spins < b->cap)
        b->spins <<= 1;
    else
        sched_yield();
}

/* One wait of a poll loop for something another thread does within a
 * short critical section: a PAUSE for the first `polls_before_yield`
 * polls, then sched_yield (the other thread has likely been preempted).
 * `poll` counts from 0. */
static inline void cpat_poll_wait(uint32_t poll, uint32_t polls_before_yield) {
    if (poll < polls_before_yield)
        cpat_cpu_relax();
    else
        sched_yield();
}

#endif
