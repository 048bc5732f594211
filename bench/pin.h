/* Thread placement through hwloc.
 *
 * Policies:
 *   compact  PUs in topology order: SMT siblings first, then the next core,
 *            package, NUMA node (threads share caches as much as possible)
 *   spread   one PU per core, cores taken round-robin across packages; SMT
 *            siblings only once every core has a thread
 *   none     no binding; the kernel places threads
 * Thread i of a run goes to order[i % npus]: more threads than PUs is a
 * legal, measured case (oversubscription).
 */
#ifndef CPAT_BENCH_PIN_H
#define CPAT_BENCH_PIN_H

#include <stddef.h>

enum pin_policy { PIN_COMPACT, PIN_SPREAD, PIN_NONE };

int pin_init(const char *policy); /* 0, or -1 for an unknown policy name */
int pin_npus(void);               /* PUs the process may run on */
const char *pin_policy_name(void);
int pin_pu_of(int index);    /* OS index of the PU thread `index` goes to, -1 with none */
void pin_self(int index);    /* bind the calling thread by the policy */
void pin_self_to(int os_pu); /* bind the calling thread to one PU */

/* PU pairs at each distinct distance from the first PU (SMT sibling, same
 * package, other package, other NUMA node), for limits.cacheline_rtt. */
size_t pin_pairs(int (*pairs)[2], size_t max, const char **labels);

/* "2 packages, 64 cores, 128 PUs, 2 NUMA nodes" and the CPU model. */
void pin_describe(char *topo, size_t topo_len, char *model, size_t model_len);

#endif
