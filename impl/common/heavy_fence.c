#include "common/heavy_fence.h"

#include <linux/membarrier.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0: not yet known, 1: works, 2: the kernel lacks it.  Relaxed: each
 * thread would reach the same answer on its own. */
static _Atomic int state;

static long membarrier(int cmd) {
    return syscall(SYS_membarrier, cmd, 0, 0);
}

bool cpat_heavy_fence(void) {
    int s = atomic_load_explicit(&state, memory_order_relaxed);
    if (s == 2)
        return false;
    if (s == 1 && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
        return true;
    /* First use: register, once per address space (registering twice is
     * harmless).  A failure after a success cannot happen short of
     * exec, which starts this state over; any failure here is the kernel
     * saying no (ENOSYS, EINVAL, EPERM from a filter), for good. */
    if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0 ||
        membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
        atomic_store_explicit(&state, 2, memory_order_relaxed);
        return false;
    }
    atomic_store_explicit(&state, 1, memory_order_relaxed);
    return true;
}
