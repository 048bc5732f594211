#include "rwlock/futex.h"
#include "rwlock/ops.h"

/* A reader leaving while a writer waits for it. */
void cpat_rwlock_futex_depart(struct cpat_rwlock_futex *l) {
    /* acq_rel: the reader that brings departing to 0 acquires the
     * sections of the readers that left before it and passes them, with
     * its own, to the writer through wsem (post is a release). */
    if (atomic_fetch_sub_explicit(&l->departing, 1, memory_order_acq_rel) == 1)
        cpat_sema_post(&l->wsem, 1);
}

/* The writer, having blocked new readers, waits for the `inside` readers
 * that held the lock when it arrived. */
void cpat_rwlock_futex_wait_readers(struct cpat_rwlock_futex *l, int32_t inside) {
    /* Some may have left already (departing went below 0 by as many): if
     * all have, the sum is 0 and nobody will post.  acq_rel: acquire pairs
     * with the acq_rel decrements of those that left. */
    if (atomic_fetch_add_explicit(&l->departing, inside, memory_order_acq_rel) + inside != 0)
        cpat_sema_wait(&l->wsem); /* acquires the last departing reader's post */
}

CPAT_RWLOCK_OPS(futex, "variant",
                CPAT_RWLOCK_DETECTS_BAD_UNLOCK | CPAT_RWLOCK_PARKS | CPAT_RWLOCK_WRITER_PREFERRING,
                "Go's RWMutex protocol on futex words: writer-preferring, queued readers "
                "admitted together");
