/* Small thread ids: 0, 1, 2, ... unique among the threads alive at one
 * time, the lowest free one handed out on a thread's first call and given
 * back when the thread exits.  Per-thread slot tables (rwlock/bravo,
 * rwlock/brlock, the ck_brlock peer) index by them, so a slot is never
 * shared by two live threads and a table scan can stop at
 * cpat_thread_id_limit().
 *
 * A thread that finds all CPAT_THREAD_IDS ids taken gets CPAT_THREAD_IDS
 * ("no id") for its whole life; tables smaller than that treat any id at or
 * above their size the same way.
 */
#ifndef CPAT_COMMON_THREAD_ID_H
#define CPAT_COMMON_THREAD_ID_H

#include <stdatomic.h>

#define CPAT_THREAD_IDS 1024

/* The calling thread's id + 1; 0 until its first cpat_thread_id(). */
extern _Thread_local unsigned cpat_thread_id_plus1;
/* One more than the largest id handed out so far (never decreases). */
extern _Atomic unsigned cpat_thread_id_high;

unsigned cpat_thread_id_assign(void);

static inline unsigned cpat_thread_id(void) {
    unsigned p = cpat_thread_id_plus1;
    return p ? p - 1 : cpat_thread_id_assign();
}

/* Every live thread's id is below this.  seq_cst, as is the store that
 * raises it: a table scanner that stores a flag (seq_cst) and then reads the
 * limit sees the id of any thread whose own later seq_cst load missed the
 * flag (see rwlock/bravo.h and rwlock/brlock.c). */
static inline unsigned cpat_thread_id_limit(void) {
    return atomic_load_explicit(&cpat_thread_id_high, memory_order_seq_cst);
}

/* The slots of a table of `size` a scan must look at: ids below both. */
static inline unsigned cpat_thread_id_scan(unsigned size) {
    unsigned n = cpat_thread_id_limit();
    return n < size ? n : size;
}

#endif
