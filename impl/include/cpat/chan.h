/* Channels and select (Go's chan and select).  One interface, several
 * implementations.
 *
 * Table form (choose at run time, see cpat/registry.h):
 *
 *     const struct cpat_chan_ops *ops = cpat_chan_find("futex");
 *     void *ch;
 *     ops->make(&ch, 10);                 // capacity 10; 0 = unbuffered
 *     ops->send(ch, p);  ops->recv(ch, &p);  ops->close(ch);
 *     ops->destroy(ch);                   // frees it
 *
 * Direct form (hot path inlined, what the benchmarks measure):
 *
 *     #include "chan/futex.h"
 *     struct cpat_chan_futex *ch; cpat_chan_futex_make(&ch, 10);
 *     cpat_chan_futex_send(ch, p); ... cpat_chan_futex_destroy(ch);
 *
 * Every variant V provides struct cpat_chan_V and cpat_chan_V_{make,
 * destroy, send, recv, trysend, tryrecv, send_until, recv_until, close,
 * len, cap, select}, with the signatures of the table below (the channel
 * argument typed).
 *
 * Go's rules, in every variant:
 *  - capacity 0 is a rendezvous: a send completes only when a receiver
 *    takes the value, and trysend succeeds only when a receiver is waiting;
 *  - values are void * and come out of one sender in the order it sent them;
 *  - a send happens-before the receive that takes its value returns;
 *  - send on a closed channel returns EPIPE and sends nothing (Go panics);
 *    a second close returns EPIPE and changes nothing (Go panics);
 *  - recv on a closed channel first drains the buffer, then returns EPIPE
 *    with *value = NULL (Go's ok == false);
 *  - close wakes every blocked receiver (EPIPE) and every blocked sender
 *    (EPIPE: its value was not sent);
 *  - a timed operation that returns ETIMEDOUT transferred nothing: its value
 *    stays with the sender, and a receiver took no value.
 * Deadlines are absolute CLOCK_MONOTONIC times in ns (common/clock.h's
 * cpat_now_ns()); CPAT_FOREVER waits for good.  A deadline already past
 * still tries once: it fails with ETIMEDOUT only if the operation would
 * block.
 *
 * select: one call over n cases of channels of one variant.  A case on a NULL
 * channel never fires (Go's nil channel).  Among ready cases the one taken
 * is chosen uniformly at random (Go's poll order).  deadline CPAT_DEFAULT
 * (0) is Go's `default:` -- take a ready case or return EAGAIN at once;
 * CPAT_FOREVER blocks until a case fires; any other deadline returns
 * ETIMEDOUT when it passes with no case taken.  Exactly one case fires per
 * call, or none:
 *   0          case *chosen fired: a send delivered cases[*chosen].value, a
 *              recv stored what it received in cases[*chosen].value
 *   EPIPE      case *chosen fired on a closed channel: a recv got no value
 *              (value = NULL; Go's ok == false), a send sent nothing (Go panics)
 *   EAGAIN     deadline CPAT_DEFAULT and no case was ready
 *   ETIMEDOUT  the deadline passed; no case fired, nothing was transferred
 *   EINVAL     n == 0 with CPAT_FOREVER (Go's select {} blocks for good: a
 *              program's bug), or more than CPAT_SELECT_MAX cases
 *   ENOMEM     (make) no memory for the channel
 */
#ifndef CPAT_CHAN_H
#define CPAT_CHAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Deadlines (absolute CLOCK_MONOTONIC ns). */
#define CPAT_DEFAULT      ((uint64_t)0) /* select: Go's default case; ops: don't wait */
#define CPAT_FOREVER      UINT64_MAX    /* wait for good */
#define CPAT_SELECT_MAX   64            /* cases in one select */
#define CPAT_CHAN_CAP_MAX (1u << 30)    /* largest capacity; make() of more is EINVAL */

enum cpat_select_dir { CPAT_RECV = 0, CPAT_SEND = 1 };

struct cpat_select_case {
    void *ch;                 /* a channel of the select's variant, or NULL (never fires) */
    enum cpat_select_dir dir; /* CPAT_SEND or CPAT_RECV */
    void *value;              /* send: the value; recv: what was received */
};

/* Properties a variant declares; verify and the benchmarks read them. */
enum {
    CPAT_CHAN_PARKS = 1u << 0,      /* blocked threads sleep in the kernel */
    CPAT_CHAN_BLOCKING = 1u << 1,   /* send/recv/timed ops block (else try-only + polling) */
    CPAT_CHAN_SELECT = 1u << 2,     /* select is supported */
    CPAT_CHAN_UNBUFFERED = 1u << 3, /* capacity 0 is supported */
    CPAT_CHAN_CLOSE_EXACT = 1u << 4 /* close is linearizable with send: no value is lost */
};
#define CPAT_CHAN_FULL                                                                             \
    (CPAT_CHAN_BLOCKING | CPAT_CHAN_SELECT | CPAT_CHAN_UNBUFFERED | CPAT_CHAN_CLOSE_EXACT)

struct cpat_chan_ops {
    const char *name;                       /* "futex"; the <impl> part of benchmark names */
    const char *kind;                       /* "variant", "peer" or "null" (does nothing) */
    const char *about;                      /* one line for --list and the README */
    unsigned flags;                         /* CPAT_CHAN_* */
    int (*make)(void **ch, size_t cap);     /* 0, EINVAL (cap > CPAT_CHAN_CAP_MAX), ENOMEM */
    void (*destroy)(void *ch);              /* frees it; no operation may be running on it */
    int (*send)(void *ch, void *value);     /* 0, EPIPE */
    int (*recv)(void *ch, void **value);    /* 0, EPIPE (closed and drained) */
    int (*trysend)(void *ch, void *value);  /* 0, EAGAIN, EPIPE */
    int (*tryrecv)(void *ch, void **value); /* 0, EAGAIN, EPIPE */
    int (*send_until)(void *ch, void *value, uint64_t deadline_ns);  /* 0, ETIMEDOUT, EPIPE */
    int (*recv_until)(void *ch, void **value, uint64_t deadline_ns); /* 0, ETIMEDOUT, EPIPE */
    int (*close)(void *ch);                                          /* 0, EPIPE (closed already) */
    size_t (*len)(void *ch); /* values buffered now (a snapshot) */
    size_t (*cap)(void *ch);
    /* NULL where the variant has no select (flags lack CPAT_CHAN_SELECT). */
    int (*select)(struct cpat_select_case *cases, size_t n, uint64_t deadline_ns, size_t *chosen);
};

extern const struct cpat_chan_ops cpat_chan_null_ops, cpat_chan_pthread_ops, cpat_chan_atomic_ops,
    cpat_chan_futex_ops, cpat_chan_ck_ring_ops;

#ifdef __cplusplus
}
#endif

#endif
