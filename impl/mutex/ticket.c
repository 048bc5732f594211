#include "mutex/ticket.h"
#include "mutex/ops.h"

/* Pauses per ticket ahead of us between polls (a PAUSE is ~35 ns on current
 * x86 cores), and how many polls before we start to yield the CPU to
 * whoever is ahead (~20 us: past that, a thread ahead has likely been
 * preempted, and only the scheduler can bring it back). */
#define TICKET_PAUSE_PER_WAITER   2
#define TICKET_POLLS_BEFORE_YIELD 512

void cpat_mutex_ticket_wait(struct cpat_mutex_ticket *m, uint32_t ticket) {
    for (uint32_t polls = 0;; polls++) {
        /* Acquire pairs with the release store of owner in unlock. */
        uint32_t o = atomic_load_explicit(&m->owner, memory_order_acquire);
        if (o == ticket)
            return;
        if (polls >= TICKET_POLLS_BEFORE_YIELD) {
            sched_yield();
            continue;
        }
        for (uint32_t i = (ticket - o) * TICKET_PAUSE_PER_WAITER; i; i--)
            cpat_cpu_relax();
    }
}

CPAT_MUTEX_OPS(ticket, "variant", CPAT_MUTEX_DETECTS_BAD_UNLOCK | CPAT_MUTEX_FIFO,
               "ticket lock: FIFO, proportional backoff, yields after long waits");
