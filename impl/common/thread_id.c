#include "common/thread_id.h"

#include <pthread.h>
#include <stdint.h>

#include "cpat/error.h"

_Thread_local unsigned cpat_thread_id_plus1;
_Atomic unsigned cpat_thread_id_high;

/* Bit i of used[] set = id i taken.  Assigning and releasing is once per
 * thread, so one mutex guards it. */
static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t used[CPAT_THREAD_IDS / 64];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key; /* its destructor gives the exiting thread's id back */

static void release(void *idp1) {
    unsigned id = (unsigned)(uintptr_t)idp1 - 1;
    pthread_mutex_lock(&ids_lock);
    used[id / 64] &= ~(1ull << (id % 64));
    pthread_mutex_unlock(&ids_lock);
    /* A later destructor of this thread that asks again gets a fresh id,
     * which the next destructor round gives back. */
    cpat_thread_id_plus1 = 0;
}

static void make_key(void) {
    int e = pthread_key_create(&key, release);
    if (e)
        cpat_die("pthread_key_create", e);
}

unsigned cpat_thread_id_assign(void) {
    pthread_once(&key_once, make_key);
    unsigned id = CPAT_THREAD_IDS;
    pthread_mutex_lock(&ids_lock);
    for (unsigned w = 0; w < CPAT_THREAD_IDS / 64; w++)
        if (~used[w]) {
            id = w * 64 + (unsigned)__builtin_ctzll(~used[w]);
            used[w] |= 1ull << (id % 64);
            break;
        }
    if (id < CPAT_THREAD_IDS &&
        id >= atomic_load_explicit(&cpat_thread_id_high, memory_order_relaxed))
        atomic_store_explicit(&cpat_thread_id_high, id + 1, memory_order_seq_cst);
    pthread_mutex_unlock(&ids_lock);
    if (id < CPAT_THREAD_IDS) {
        int e = pthread_setspecific(key, (void *)(uintptr_t)(id + 1));
        if (e)
            cpat_die("pthread_setspecific", e);
    }
    cpat_thread_id_plus1 = id + 1;
    return id;
}
