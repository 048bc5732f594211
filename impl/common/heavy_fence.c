#include "common/heavy_fence.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0: not yet known, 1: works, 2: the kernel refused it (at registration,
 * or later: a seccomp filter), with errno `refusal`.  Relaxed: each thread
 * would reach the same answer on its own. */
static _Atomic int state, refusal;

static void refused(int e) {
    atomic_store_explicit(&refusal, e, memory_order_relaxed);
    atomic_store_explicit(&state, 2, memory_order_relaxed);
}

static long membarrier(int cmd) {
    return syscall(SYS_membarrier, cmd, 0, 0);
}

bool cpat_heavy_fence_ready(void) {
    int s = atomic_load_explicit(&state, memory_order_relaxed);
    if (s)
        return s == 1;
    /* Register, once per address space (registering twice is harmless;
     * fork keeps it, exec starts this state over).  A failure is the
     * kernel saying no (ENOSYS, EINVAL, EPERM from a filter), for good. */
    if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
        refused(errno);
        return false;
    }
    atomic_store_explicit(&state, 1, memory_order_relaxed);
    return true;
}

int cpat_heavy_fence(void) {
    if (!cpat_heavy_fence_ready())
        return atomic_load_explicit(&refusal, memory_order_relaxed);
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
        return 0;
    int e = errno;
    refused(e);
    return e;
}
