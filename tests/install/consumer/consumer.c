/* A program outside the tree, built against an installed cpat: the table
 * form (the registry, run-time choice) and the direct form (the variant's
 * header, its hot path inlined here).  Exits 0 when both work. */
#include <cpat/cpat.h>
#include <stdio.h>
#include <stdlib.h>

#include "chan/futex.h"  /* direct form: a channel ... */
#include "mutex/futex.h" /* ... and a lock, inlined */

int main(void) {
    /* Table form: a lock and a channel chosen by name. */
    const struct cpat_mutex_ops *mops = cpat_mutex_find("mcs");
    const struct cpat_chan_ops *cops = cpat_chan_find("atomic");
    if (!mops || !cops) {
        fprintf(stderr, "consumer: registry lookup failed\n");
        return 1;
    }
    void *l = cpat_obj_new(mops->size, mops->align);
    if (!l || mops->init(l))
        return 1;
    mops->lock(l);
    int bad = mops->trylock(l) != EAGAIN;
    bad |= mops->unlock(l) != 0;
    mops->destroy(l);
    free(l);
    void *c, *v = NULL;
    if (cops->make(&c, 1))
        return 1;
    bad |= cops->send(c, (void *)&bad) != 0;
    bad |= cops->recv(c, &v) != 0 || v != (void *)&bad;
    cops->destroy(c);

    /* Direct form. */
    struct cpat_mutex_futex m;
    cpat_mutex_futex_init(&m);
    cpat_mutex_futex_lock(&m);
    bad |= cpat_mutex_futex_unlock(&m) != 0;
    struct cpat_chan_futex *ch;
    if (cpat_chan_futex_make(&ch, 0))
        return 1;
    bad |= cpat_chan_futex_trysend(ch, &m) != EAGAIN; /* no receiver: would block */
    bad |= cpat_chan_futex_close(ch) != 0;
    bad |= cpat_chan_futex_recv(ch, &v) != EPIPE; /* closed and drained */
    cpat_chan_futex_destroy(ch);

    printf("consumer: %s (%s)\n", bad ? "FAILED" : "ok", cpat_strerror(EPIPE));
    return bad;
}
