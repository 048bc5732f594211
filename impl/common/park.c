#include "common/park.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Atomic uint32_t cpat_park_cost_est_ns = CPAT_PARK_COST_SEED_NS;

void cpat_park_observe(uint64_t ns) {
    if (ns < CPAT_PARK_COST_MIN_NS)
        ns = CPAT_PARK_COST_MIN_NS;
    if (ns > CPAT_PARK_COST_MAX_NS)
        ns = CPAT_PARK_COST_MAX_NS;
    /* est += (ns - est) / 8, a moving average over the last ~8 parks.  A
     * lost update between two racing observers loses one sample. */
    int64_t est = atomic_load_explicit(&cpat_park_cost_est_ns, memory_order_relaxed);
    est += ((int64_t)ns - est) / 8;
    atomic_store_explicit(&cpat_park_cost_est_ns, (uint32_t)est, memory_order_relaxed);
}

/* The kernel's runnable count is the fourth field of /proc/loadavg
 * ("runnable/total"), summed over the CPUs when read (a pread, ~1-2 us),
 * so each thread asks at most once per SPARE_TTL_NS and keeps the answer. */
#define SPARE_TTL_NS 1000000
static int loadavg_fd = -1;
static long online_pus;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static void spare_init(void) {
    loadavg_fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    online_pus = sysconf(_SC_NPROCESSORS_ONLN);
}

bool cpat_spare_pu(uint64_t now) {
    static __thread uint64_t asked_at;
    static __thread bool spare = true;
    if (asked_at && now - asked_at < SPARE_TTL_NS)
        return spare;
    asked_at = now;
    pthread_once(&spare_once, spare_init);
    char buf[128];
    ssize_t n = loadavg_fd < 0 ? -1 : pread(loadavg_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return spare = true;
    buf[n] = 0;
    /* "0.52 0.58 0.59 3/211 4242": the runnable count follows the third space. */
    char *p = buf;
    for (int f = 0; f < 3 && p; f++)
        if ((p = strchr(p, ' ')) != NULL)
            p++;
    long runnable = p ? strtol(p, NULL, 10) : 0;
    return spare = runnable <= online_pus || online_pus <= 0;
}

bool cpat_spin_check(struct cpat_spin *sp) {
    uint64_t now = cpat_now_ns();
    if (!sp->t0) {
        sp->t0 = now;
        sp->budget_ns = cpat_park_cost_ns();
        if (sp->budget_ns > CPAT_SPIN_MAX_NS)
            sp->budget_ns = CPAT_SPIN_MAX_NS;
        return true;
    }
    uint64_t spent = now - sp->t0;
    return spent < sp->budget_ns && (spent < sp->budget_ns / 4 || cpat_spare_pu(now));
}
