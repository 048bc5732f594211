#include "pin.h"

#include <errno.h>
#include <hwloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpat/error.h"

static hwloc_topology_t topo;
static enum pin_policy policy;
static int *order; /* OS PU indices in placement order */
static int npus;

static void order_compact(void) {
    for (int i = 0; i < npus; i++)
        order[i] = (int)hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i)->os_index;
}

/* Cores in round-robin over packages, then the r-th PU of each core. */
static void order_spread(void) {
    int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    int npkg = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    if (ncores <= 0 || npkg <= 0) { /* no core/package info: compact is all we know */
        order_compact();
        return;
    }
    hwloc_obj_t *cores = calloc((size_t)ncores, sizeof *cores);
    int n = 0;
    for (int k = 0; n < ncores; k++) /* k-th core of each package in turn */
        for (int p = 0; p < npkg; p++) {
            hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, (unsigned)p);
            hwloc_obj_t c =
                hwloc_get_obj_inside_cpuset_by_type(topo, pkg->cpuset, HWLOC_OBJ_CORE, (unsigned)k);
            if (c)
                cores[n++] = c;
        }
    int m = 0;
    for (int r = 0; m < npus; r++) {
        int before = m;
        for (int c = 0; c < ncores && m < npus; c++) {
            hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(topo, cores[c]->cpuset,
                                                                 HWLOC_OBJ_PU, (unsigned)r);
            if (pu)
                order[m++] = (int)pu->os_index;
        }
        if (m == before) /* PUs outside any core: fall back to compact */
            break;
    }
    free(cores);
    if (m < npus)
        order_compact();
}

int pin_init(const char *name) {
    if (strcmp(name, "compact") == 0)
        policy = PIN_COMPACT;
    else if (strcmp(name, "spread") == 0)
        policy = PIN_SPREAD;
    else if (strcmp(name, "none") == 0)
        policy = PIN_NONE;
    else
        return -1;
    if (order) { /* initialised before: start over */
        free(order);
        hwloc_topology_destroy(topo);
    }
    if (hwloc_topology_init(&topo) || hwloc_topology_load(topo))
        cpat_die("hwloc_topology_load", errno);
    npus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    if (npus <= 0)
        cpat_die("hwloc_get_nbobjs_by_type(PU)", EINVAL);
    order = calloc((size_t)npus, sizeof *order);
    if (policy == PIN_SPREAD)
        order_spread();
    else
        order_compact();
    return 0;
}

int pin_npus(void) {
    return npus;
}

const char *pin_policy_name(void) {
    static const char *const names[] = {"compact", "spread", "none"};
    return names[policy];
}

int pin_pu_of(int index) {
    return policy == PIN_NONE ? -1 : order[index % npus];
}

void pin_self_to(int os_pu) {
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    hwloc_bitmap_only(set, (unsigned)os_pu);
    if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD))
        cpat_die("hwloc_set_cpubind", errno);
    hwloc_bitmap_free(set);
}

void pin_self(int index) {
    if (policy == PIN_NONE) {
        /* Undo an earlier binding of this thread (thread 0 is reused). */
        if (hwloc_set_cpubind(topo, hwloc_topology_get_allowed_cpuset(topo), HWLOC_CPUBIND_THREAD))
            cpat_die("hwloc_set_cpubind", errno);
        return;
    }
    pin_self_to(pin_pu_of(index));
}

/* Do PUs a and b (OS indices) lie in one object of this type? */
static bool share(hwloc_obj_type_t type, unsigned a, unsigned b) {
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(topo, type, o));)
        if (hwloc_bitmap_isset(o->cpuset, a) && hwloc_bitmap_isset(o->cpuset, b))
            return true;
    return false;
}

size_t pin_pairs(int (*pairs)[2], size_t max, const char **labels) {
    static const struct {
        hwloc_obj_type_t type;
        const char *label;
    } classes[] = {{HWLOC_OBJ_CORE, "smt"},
                   {HWLOC_OBJ_PACKAGE, "package"},
                   {HWLOC_OBJ_NUMANODE, "numa"},
                   {HWLOC_OBJ_MACHINE, "remote"}};
    enum { NCLASSES = sizeof classes / sizeof classes[0] };
    bool taken[NCLASSES] = {false};
    unsigned first = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, 0)->os_index;
    size_t n = 0;
    for (int j = 1; j < npus && n < max; j++) {
        unsigned pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)j)->os_index;
        size_t c = 0; /* the closest class the two PUs share */
        while (c < NCLASSES - 1 && !share(classes[c].type, first, pu))
            c++;
        if (!taken[c]) {
            taken[c] = true;
            pairs[n][0] = (int)first;
            pairs[n][1] = (int)pu;
            labels[n++] = classes[c].label;
        }
    }
    return n;
}

void pin_describe(char *topo_s, size_t topo_len, char *model, size_t model_len) {
    snprintf(topo_s, topo_len, "%d packages, %d cores, %d PUs, %d NUMA nodes",
             hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE),
             hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE), npus,
             hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE));
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char *m = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    snprintf(model, model_len, "%s", m ? m : "unknown");
}
