/* Channel and select checks C1-C8 and S1-S4 (../shared/GUARANTEES.md).
 *
 * Every check runs at capacities 0, 1, 7 and 1024 (0 only where the
 * variant has CPAT_CHAN_UNBUFFERED), each for its share of the run's time,
 * on fresh channels.  cap() may be larger than asked (a ring rounded up):
 * what counts buffered values uses cap().
 *
 * Values are (thread, channel, sequence) packed into a pointer, so whoever
 * receives one knows who sent it where; C6's are pointers to plain structs
 * instead, so that ThreadSanitizer sees a missing happens-before.  A ledger
 * records, per value, what its sender was told (sent, or kept: ETIMEDOUT,
 * EAGAIN, EPIPE) and how many times it was received, and is balanced once
 * the threads are joined: sent <=> received exactly once.
 *
 * Blocking operations are reached every way a caller can reach them:
 * send/recv, trysend/tryrecv polled (then blocking, so two pollers cannot
 * livelock on a rendezvous), send_until/recv_until with short deadlines
 * retried, and select, alone or among NULL-channel cases.  Threads wait on
 * one another without ticking the progress counter: a lost wake-up stalls
 * it and the watchdog reports the hang.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "cpat/error.h"
#include "cpat/registry.h"
#include "harness.h"
#include "mutants/mutants.h"

_Static_assert(sizeof(void *) == 8, "values are packed into 64-bit pointers");

static const size_t CAPS[] = {0, 1, 7, 1024};
#define NCAPS (sizeof CAPS / sizeof CAPS[0])

/* How long a check waits to see that an operation stays blocked. */
#define BLOCK_PROBE_US 3000
/* The quickest of a few EAGAIN try-operations must take no longer: a
 * try-operation must not wait (a generous bound, never a speed test). */
#define TRY_BUDGET_NS  ((CPAT_TSAN ? 50u : 10u) * 1000000ull)
/* How long a woken thread may take to return before a check calls the
 * wake-up lost (it says so, where the watchdog would only say "hang"):
 * twice the wait budget, but well inside the watchdog's stall budget. */
static uint64_t wake_budget_ns(const struct vrun *r) {
    uint64_t b = 2 * VERIFY_WAIT_BUDGET_NS, stall = (uint64_t)(r->stall * 0.6e9);
    return stall && stall < b ? stall : b;
}
/* Polls of a try-operation before the polled form blocks. */
#define POLLS 64

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, us % 1000000 * 1000};
    nanosleep(&ts, NULL);
}

static uint64_t after_us(uint64_t us) {
    return cpat_now_ns() + us * 1000;
}

#define FAR_US (60 * 1000000ull) /* a deadline no correct operation reaches */

/* ---- values ---------------------------------------------------------- */

static void *pack(int thread, unsigned chan, uint64_t seq) {
    return (void *)(uintptr_t)((uint64_t)(thread + 1) << 40 | (uint64_t)(chan & 0xff) << 32 |
                               (seq + 1));
}

struct vid {
    int thread; /* -1: not a value any thread made (NULL among others) */
    unsigned chan;
    uint64_t seq;
};

static struct vid unpack(void *v) {
    uint64_t x = (uint64_t)(uintptr_t)v;
    struct vid id = {(int)(x >> 40) - 1, (unsigned)(x >> 32) & 0xff, (x & 0xffffffffu) - 1};
    if ((x & 0xffffffffu) == 0 || (x >> 40) == 0)
        id.thread = -1;
    return id;
}

/* C6's plain payload: written by its sender, read by its receiver. */
struct payload {
    int thread;
    uint64_t seq;
    uint64_t word[6];
};

static uint64_t payload_word(int thread, uint64_t seq, int i) {
    return (seq + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)thread << 48 ^ (uint64_t)i * 0x5bd1e995;
}

static struct payload *payload_new(int thread, uint64_t seq) {
    struct payload *p = malloc(sizeof *p);
    if (!p)
        cpat_die("malloc", ENOMEM);
    p->thread = thread;
    p->seq = seq;
    for (int i = 0; i < 6; i++)
        p->word[i] = payload_word(thread, seq, i);
    return p;
}

/* ---- the ledger ------------------------------------------------------ */

enum { L_UNSAID, L_SENT, L_KEPT };

struct ledger {
    int nthreads;
    uint64_t max;               /* values per thread */
    uint64_t *next;             /* per thread: values made (its owner's until the join) */
    unsigned char *said;        /* [thread * max + seq]: L_*, its owner's until the join */
    _Atomic unsigned char *got; /* times received */
    _Atomic uint64_t received, sum_received;
};

#define NO_SEQ UINT64_MAX

static void ledger_init(struct ledger *L, int nthreads) {
    L->nthreads = nthreads;
    L->max = (CPAT_TSAN ? 1u << 18 : 1u << 20) / (uint64_t)(nthreads > 8 ? nthreads / 8 : 1);
    L->next = calloc((size_t)nthreads, sizeof *L->next);
    L->said = calloc((size_t)nthreads * L->max, 1);
    L->got = calloc((size_t)nthreads * L->max, 1);
    if (!L->next || !L->said || !L->got)
        cpat_die("calloc", ENOMEM);
    atomic_init(&L->received, 0);
    atomic_init(&L->sum_received, 0);
}

static void ledger_free(struct ledger *L) {
    free(L->next);
    free(L->said);
    free((void *)L->got);
}

/* Between rounds, with no thread using it. */
static void ledger_reset(struct ledger *L) {
    for (int t = 0; t < L->nthreads; t++) {
        memset(L->said + (size_t)t * L->max, 0, L->next[t]);
        memset((void *)(L->got + (size_t)t * L->max), 0, L->next[t]);
        L->next[t] = 0;
    }
    atomic_store(&L->received, 0);
    atomic_store(&L->sum_received, 0);
}

static uint64_t ledger_make(struct ledger *L, int thread) {
    return L->next[thread] < L->max ? L->next[thread]++ : NO_SEQ;
}

static void ledger_say(struct ledger *L, int thread, uint64_t seq, int what) {
    L->said[(size_t)thread * L->max + seq] = (unsigned char)what;
}

/* A value arrived (how: for the message).  False if it fails the check. */
static bool ledger_got(struct vthread *t, struct ledger *L, int thread, uint64_t seq, void *v,
                       const char *how, size_t cap) {
    if (thread < 0 || thread >= L->nthreads || seq >= L->max) {
        vfail(t->r, "thread %d received %p by %s, a value no thread sent (cap %zu)", t->index, v,
              how, cap);
        return false;
    }
    unsigned char n =
        atomic_fetch_add_explicit(&L->got[(size_t)thread * L->max + seq], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&L->received, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&L->sum_received, (uint64_t)(uintptr_t)v, memory_order_relaxed);
    if (n) {
        vfail(t->r,
              "value #%" PRIu64 " of thread %d was received twice (the second time by thread %d, "
              "by %s; cap %zu)",
              seq, thread, t->index, how, cap);
        return false;
    }
    return true;
}

/* After the join: every value its sender was told was sent was received
 * exactly once, and no kept value was received at all.  value(thread,
 * seq) gives the value as sent, for the sum (NULL: no sum). */
static bool ledger_balance(const struct vrun *r, struct ledger *L, size_t cap, const char *what,
                           void *(*value)(int thread, uint64_t seq), uint64_t *nsent,
                           uint64_t *nkept) {
    uint64_t sent = 0, kept = 0, sum = 0;
    for (int t = 0; t < L->nthreads; t++)
        for (uint64_t q = 0; q < L->next[t]; q++) {
            size_t i = (size_t)t * L->max + q;
            unsigned got = atomic_load_explicit(&L->got[i], memory_order_relaxed);
            if (L->said[i] == L_SENT) {
                sent++;
                if (value)
                    sum += (uint64_t)(uintptr_t)value(t, q);
                if (got != 1) {
                    vfail(r,
                          "%s: value #%" PRIu64 " of thread %d was sent (its send returned 0) "
                          "but received %u times (cap %zu)",
                          what, q, t, got, cap);
                    return false;
                }
            } else {
                kept++;
                if (got != 0) {
                    vfail(r,
                          "%s: value #%" PRIu64 " of thread %d stayed with its sender (the send "
                          "returned ETIMEDOUT, EAGAIN or EPIPE) yet was received (cap %zu)",
                          what, q, t, cap);
                    return false;
                }
            }
        }
    uint64_t received = atomic_load_explicit(&L->received, memory_order_relaxed);
    uint64_t rsum = atomic_load_explicit(&L->sum_received, memory_order_relaxed);
    if (received != sent || (value && rsum != sum)) {
        vfail(r,
              "%s: %" PRIu64 " values were sent with sum %#" PRIx64 ", %" PRIu64
              " received with sum %#" PRIx64 " (cap %zu)",
              what, sent, sum, received, rsum, cap);
        return false;
    }
    if (nsent)
        *nsent = sent;
    if (nkept)
        *nkept = kept;
    return true;
}

static void *packed0(int thread, uint64_t seq) {
    return pack(thread, 0, seq);
}

/* ---- one capacity at a time ------------------------------------------ */

/* What a check's threads share about the capacity under test. */
struct chk {
    const struct vrun *r; /* this capacity's run: r->seconds is its share */
    const struct cpat_chan_ops *ops;
    size_t cap;  /* asked of make() */
    size_t ecap; /* what cap() says */
};

static void *chan_new(struct chk *k, size_t cap) {
    void *ch = NULL;
    int e = k->ops->make(&ch, cap);
    if (e || !ch) {
        vfail(k->r, "make(cap %zu) returned %d (%s)", cap, e, cpat_strerror(e));
        return NULL;
    }
    size_t c = k->ops->cap(ch);
    if (c < cap) {
        vfail(k->r, "cap() is %zu on a channel made with capacity %zu", c, cap);
        k->ops->destroy(ch);
        return NULL;
    }
    if (cap == k->cap)
        k->ecap = c;
    return ch;
}

static void chan_free(struct chk *k, void *ch) {
    if (ch)
        k->ops->destroy(ch);
}

typedef int (*cap_fn)(struct chk *k, char *note, size_t notesz);

static int over_caps(const struct vrun *r, unsigned need, const char *needs, cap_fn fn) {
    const struct cpat_chan_ops *ops = r->ops;
    if (r->threads < 2) {
        vnote(r, "needs 2 threads");
        return VSKIP;
    }
    if ((ops->flags & need) != need) {
        vnote(r, "skipped: the variant has no %s", needs);
        return VSKIP;
    }
    size_t caps[NCAPS];
    size_t n = 0;
    for (size_t i = 0; i < NCAPS; i++)
        if (CAPS[i] || (ops->flags & CPAT_CHAN_UNBUFFERED))
            caps[n++] = CAPS[i];
    struct vrun rr = *r;
    rr.seconds = r->seconds / (double)n;
    char note[sizeof r->sh->note] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        struct chk k = {&rr, ops, caps[i], caps[i]};
        char part[160] = "";
        int st = fn(&k, part, sizeof part);
        if (st == VFAIL || vfailed(r))
            return VFAIL;
        char capname[48];
        if (k.ecap == k.cap)
            snprintf(capname, sizeof capname, "cap %zu", k.cap);
        else
            snprintf(capname, sizeof capname, "cap %zu (cap() %zu)", k.cap, k.ecap);
        if (len < sizeof note)
            len += (size_t)snprintf(note + len, sizeof note - len, "%s%s%s%s", i ? "; " : "",
                                    capname, part[0] ? ": " : "", part);
    }
    if (!(ops->flags & CPAT_CHAN_UNBUFFERED) && len < sizeof note)
        snprintf(note + len, sizeof note - len, "; cap 0 skipped (no CPAT_CHAN_UNBUFFERED)");
    vnote(r, "%s", note);
    return VPASS;
}

/* ---- operations, every way a caller can make them -------------------- */

enum how { H_OP, H_TRY, H_UNTIL, H_SELECT, H_SELECT_NULLS, NHOW };

static const char *const how_send[NHOW] = {
    "send", "trysend (polled)", "send_until (short deadlines)", "select", "select with NULL cases"};
static const char *const how_recv[NHOW] = {
    "recv", "tryrecv (polled)", "recv_until (short deadlines)", "select", "select with NULL cases"};

static enum how pick_how(struct vthread *t, const struct cpat_chan_ops *ops) {
    unsigned x = (unsigned)(vrand(t) % 16);
    enum how h = x < 6    ? H_OP
                 : x < 8  ? H_TRY
                 : x < 11 ? H_UNTIL
                 : x < 14 ? H_SELECT
                          : H_SELECT_NULLS;
    return h >= H_SELECT && !ops->select ? H_OP : h;
}

/* A deadline close to now: past, or a few to a few hundred us ahead. */
static uint64_t near_deadline(struct vthread *t) {
    uint64_t now = cpat_now_ns(), x = vrand(t);
    switch (x % 8) {
    case 0:
        return now - 1000; /* past: tries once */
    case 1:
    case 2:
        return now + (x >> 8) % 20000;
    default:
        return now + 20000 + (x >> 8) % 300000;
    }
}

/* ETIMEDOUT must not come before the deadline. */
static bool not_early(struct vthread *t, const struct chk *k, uint64_t deadline, const char *op) {
    uint64_t now = cpat_now_ns();
    if (now >= deadline)
        return true;
    vfail(t->r, "%s returned ETIMEDOUT %.1f us before its deadline (thread %d, cap %zu)", op,
          (deadline - now) / 1e3, t->index, k->cap);
    return false;
}

/* One select on ch (alone, or among 1-3 NULL-channel cases).  0 / EPIPE
 * fired; EAGAIN / ETIMEDOUT not; EINVAL after a failure it reported. */
static int select_one(struct vthread *t, const struct chk *k, void *ch, int dir, void **v,
                      bool nulls, uint64_t deadline) {
    struct cpat_select_case cs[4];
    size_t n = nulls ? 2 + vrand(t) % 3 : 1, at = vrand(t) % n;
    for (size_t i = 0; i < n; i++)
        cs[i] = (struct cpat_select_case){NULL, vrand(t) % 2 ? CPAT_SEND : CPAT_RECV, &cs[i]};
    cs[at] = (struct cpat_select_case){ch, dir, dir == CPAT_SEND ? *v : NULL};
    size_t chosen = SIZE_MAX;
    int e = k->ops->select(cs, n, deadline, &chosen);
    if ((e == 0 || e == EPIPE) && chosen != at) {
        vfail(t->r,
              "select over %zu cases fired case %zu, not case %zu, the only one on a channel "
              "(thread %d, cap %zu)",
              n, chosen, at, t->index, k->cap);
        return EINVAL;
    }
    if (dir == CPAT_RECV && (e == 0 || e == EPIPE))
        *v = cs[at].value;
    return e;
}

/* A send that waits until it is done: 0, or EPIPE; anything else fails
 * the check (and is returned). */
static int send_wait(struct vthread *t, const struct chk *k, void *ch, void *v, enum how how) {
    const struct cpat_chan_ops *ops = k->ops;
    int e;
    switch (how) {
    case H_OP:
        e = ops->send(ch, v);
        break;
    case H_TRY:
        for (int i = 0; (e = ops->trysend(ch, v)) == EAGAIN; i++) {
            if (i == POLLS) {
                e = ops->send(ch, v);
                break;
            }
            sched_yield();
        }
        break;
    case H_UNTIL:
        for (;;) {
            uint64_t d = near_deadline(t);
            if ((e = ops->send_until(ch, v, d)) != ETIMEDOUT)
                break;
            if (!not_early(t, k, d, "send_until"))
                return ETIMEDOUT;
        }
        break;
    default:
        e = select_one(t, k, ch, CPAT_SEND, &v, how == H_SELECT_NULLS, CPAT_FOREVER);
        if (e == EINVAL)
            return e;
    }
    if (e != 0 && e != EPIPE)
        vfail(t->r, "%s by thread %d returned %d (%s), not 0 or EPIPE (cap %zu)", how_send[how],
              t->index, e, cpat_strerror(e), k->cap);
    return e;
}

/* A recv that waits until it is done: 0, or EPIPE with *v == NULL. */
static int recv_wait(struct vthread *t, const struct chk *k, void *ch, void **v, enum how how) {
    const struct cpat_chan_ops *ops = k->ops;
    int e;
    *v = &e; /* not NULL: EPIPE must set it */
    switch (how) {
    case H_OP:
        e = ops->recv(ch, v);
        break;
    case H_TRY:
        for (int i = 0; (e = ops->tryrecv(ch, v)) == EAGAIN; i++) {
            if (i == POLLS) {
                e = ops->recv(ch, v);
                break;
            }
            sched_yield();
        }
        break;
    case H_UNTIL:
        for (;;) {
            uint64_t d = near_deadline(t);
            if ((e = ops->recv_until(ch, v, d)) != ETIMEDOUT)
                break;
            if (!not_early(t, k, d, "recv_until"))
                return ETIMEDOUT;
        }
        break;
    default:
        e = select_one(t, k, ch, CPAT_RECV, v, how == H_SELECT_NULLS, CPAT_FOREVER);
        if (e == EINVAL)
            return e;
    }
    if (e != 0 && e != EPIPE)
        vfail(t->r, "%s by thread %d returned %d (%s), not 0 or EPIPE (cap %zu)", how_recv[how],
              t->index, e, cpat_strerror(e), k->cap);
    else if (e == EPIPE && *v != NULL)
        vfail(t->r, "%s by thread %d returned EPIPE with value %p, not NULL (cap %zu)",
              how_recv[how], t->index, *v, k->cap);
    return e;
}

/* Waits, yielding and without ticking, until *a >= want: false if the
 * check failed meanwhile, or (budget_ns != 0) the budget ran out. */
static bool await_ge(const struct vrun *r, _Atomic int *a, int want, uint64_t budget_ns) {
    uint64_t t0 = budget_ns ? cpat_now_ns() : 0;
    while (atomic_load_explicit(a, memory_order_acquire) < want) {
        if (vfailed(r) || (budget_ns && cpat_now_ns() - t0 > budget_ns))
            return false;
        sched_yield();
    }
    return true;
}

/* ---- the stream: senders and receivers on one or more channels (C1, C2,
 * C6, C7, C8, S4) ------------------------------------------------------- */

enum smode {
    M_FIFO,         /* C1: per-sender order, nothing skipped with one receiver */
    M_ONCE,         /* C2: exactly once, count and sum */
    M_HB,           /* C6: plain payloads */
    M_CAP,          /* C7: completed sends against started receives */
    M_TIMED,        /* C8: send_until/recv_until with deadlines close to now */
    M_SELECT_TIMED, /* S4: selects that time out or take default */
};

#define STREAM_MAXCH 3

struct stream {
    struct chk k;
    enum smode mode;
    int senders, receivers; /* threads 0..senders-1 send, the others receive */
    int nch;
    void *ch[STREAM_MAXCH];
    void *never_full, *never_empty; /* S4: cases that can never fire */
    _Atomic int senders_left;
    struct ledger L;
    _Atomic uint64_t sends_started, sends_done, recvs_started, recvs_done; /* C7 */
    _Atomic uint64_t timeouts;
};

/* Sleeps now and then, so that buffers fill (slow receivers) or empty
 * (slow senders) and deadlines meet both. */
static void stream_pause(struct vthread *t, const struct stream *s, bool sender) {
    uint64_t x = vrand(t);
    if (s->mode == M_CAP && !sender && x % 32 == 0)
        sleep_us(100 + (long)((x >> 8) % 900));
    else if ((s->mode == M_TIMED || s->mode == M_SELECT_TIMED) && x % 16 == 0)
        sleep_us(20 + (long)((x >> 8) % 300));
    else
        vnoise(t);
}

/* S4's select for a send: the value on 1..nch channels (exactly one may
 * fire), among NULL and never-ready cases, deadline CPAT_DEFAULT or near. */
static int stream_select_send(struct vthread *t, struct stream *s, void *v) {
    struct cpat_select_case cs[8];
    size_t n = 0;
    unsigned mask = 1u + (unsigned)(vrand(t) % ((1u << s->nch) - 1));
    for (int c = 0; c < s->nch; c++)
        if (mask & 1u << c)
            cs[n++] = (struct cpat_select_case){s->ch[c], CPAT_SEND, v};
    size_t real = n;
    uint64_t x = vrand(t);
    if (x & 1)
        cs[n++] = (struct cpat_select_case){NULL, CPAT_RECV, NULL};
    if (x & 2)
        cs[n++] = (struct cpat_select_case){s->never_full, CPAT_SEND, v};
    if (x & 4)
        cs[n++] = (struct cpat_select_case){s->never_empty, CPAT_RECV, NULL};
    uint64_t d = x % 32 < 8 ? CPAT_DEFAULT : near_deadline(t);
    size_t chosen = SIZE_MAX;
    int e = s->k.ops->select(cs, n, d, &chosen);
    if (e == 0 && chosen < real)
        return 0;
    if (e == 0 || e == EPIPE) {
        vfail(t->r,
              "a select sending on %zu channels fired case %zu of %zu (%s; returned %d), a case "
              "that can never be ready (thread %d, cap %zu)",
              real, chosen, n,
              chosen >= n     ? "out of range"
              : cs[chosen].ch ? "never"
                              : "NULL",
              e, t->index, s->k.cap);
        return EINVAL;
    }
    if (e == EAGAIN && d == CPAT_DEFAULT)
        return EAGAIN;
    if (e == ETIMEDOUT && d != CPAT_DEFAULT)
        return not_early(t, &s->k, d, "select") ? ETIMEDOUT : EINVAL;
    vfail(t->r, "a select sending with %s returned %d (%s) (thread %d, cap %zu)",
          d == CPAT_DEFAULT ? "default" : "a deadline", e, cpat_strerror(e), t->index, s->k.cap);
    return EINVAL;
}

/* One send of v on channel c as the mode wants: 0 sent, EAGAIN/ETIMEDOUT
 * kept, EINVAL the check failed. */
static int stream_send(struct vthread *t, struct stream *s, unsigned c, void *v) {
    const struct cpat_chan_ops *ops = s->k.ops;
    int e;
    switch (s->mode) {
    case M_TIMED:
        if (vrand(t) % 8 == 0) {
            e = ops->trysend(s->ch[c], v);
            if (e == 0 || e == EAGAIN)
                return e;
            vfail(t->r, "trysend on an open channel returned %d (%s) (thread %d, cap %zu)", e,
                  cpat_strerror(e), t->index, s->k.cap);
            return EINVAL;
        } else {
            uint64_t d = near_deadline(t);
            e = ops->send_until(s->ch[c], v, d);
            if (e == 0)
                return 0;
            if (e == ETIMEDOUT)
                return not_early(t, &s->k, d, "send_until") ? ETIMEDOUT : EINVAL;
            vfail(t->r, "send_until on an open channel returned %d (%s) (thread %d, cap %zu)", e,
                  cpat_strerror(e), t->index, s->k.cap);
            return EINVAL;
        }
    case M_SELECT_TIMED:
        return stream_select_send(t, s, v);
    case M_CAP: {
        atomic_fetch_add(&s->sends_started, 1);
        e = send_wait(t, &s->k, s->ch[c], v, pick_how(t, ops));
        if (e) {
            atomic_fetch_sub(&s->sends_started, 1);
            return e == EPIPE ? EPIPE : EINVAL;
        }
        /* Our rank among completed sends: n sends have returned, so n
         * values went in, and at most ecap of them can still be buffered:
         * n - ecap receives have taken theirs, and each counted itself
         * started before it called. */
        uint64_t n = atomic_fetch_add(&s->sends_done, 1) + 1;
        uint64_t started = atomic_load(&s->recvs_started);
        if (n > started + s->k.ecap) {
            vfail(t->r,
                  "send #%" PRIu64 " completed when only %" PRIu64
                  " receives had started: more than cap %zu values were buffered (thread %d)",
                  n, started, s->k.ecap, t->index);
            return EINVAL;
        }
        return 0;
    }
    default:
        e = send_wait(t, &s->k, s->ch[c], v, pick_how(t, ops));
        return e == 0 ? 0 : e == EPIPE ? EPIPE : EINVAL;
    }
}

/* One receive as the mode wants, on the open channels: 0 with *v from
 * channel *c; EPIPE channel *c is closed and drained; EAGAIN/ETIMEDOUT
 * nothing taken; EINVAL the check failed.  *how names the way. */
static int stream_recv(struct vthread *t, struct stream *s, const bool *closed, void **v,
                       unsigned *c, const char **how) {
    const struct cpat_chan_ops *ops = s->k.ops;
    int e;
    *c = 0;
    switch (s->mode) {
    case M_TIMED:
        if (vrand(t) % 8 == 0) {
            *how = "tryrecv";
            e = ops->tryrecv(s->ch[0], v);
            if (e == EAGAIN)
                sched_yield();
        } else {
            *how = "recv_until";
            uint64_t d = near_deadline(t);
            e = ops->recv_until(s->ch[0], v, d);
            if (e == ETIMEDOUT && !not_early(t, &s->k, d, "recv_until"))
                return EINVAL;
        }
        if (e == EPIPE && *v) {
            vfail(t->r, "%s returned EPIPE with value %p, not NULL (cap %zu)", *how, *v, s->k.cap);
            return EINVAL;
        }
        if (e == 0 || e == EPIPE || e == EAGAIN || e == ETIMEDOUT)
            return e;
        vfail(t->r, "%s returned %d (%s) (thread %d, cap %zu)", *how, e, cpat_strerror(e), t->index,
              s->k.cap);
        return EINVAL;
    case M_SELECT_TIMED: {
        struct cpat_select_case cs[8];
        size_t n = 0;
        for (int i = 0; i < s->nch; i++)
            if (!closed[i])
                cs[n++] = (struct cpat_select_case){s->ch[i], CPAT_RECV, NULL};
        size_t real = n;
        uint64_t x = vrand(t);
        if (x & 1)
            cs[n++] = (struct cpat_select_case){NULL, CPAT_SEND, cs};
        if (x & 2)
            cs[n++] = (struct cpat_select_case){s->never_full, CPAT_SEND, cs};
        if (x & 4)
            cs[n++] = (struct cpat_select_case){s->never_empty, CPAT_RECV, NULL};
        for (size_t i = n; i > 1; i--) { /* the real cases anywhere */
            size_t j = vrand(t) % i;
            struct cpat_select_case tc = cs[i - 1];
            cs[i - 1] = cs[j];
            cs[j] = tc;
        }
        uint64_t d = x % 32 < 8 ? CPAT_DEFAULT : near_deadline(t);
        size_t chosen = SIZE_MAX;
        *how = d == CPAT_DEFAULT ? "select with default" : "select with a deadline";
        e = ops->select(cs, n, d, &chosen);
        if (e == 0 || e == EPIPE) {
            int fired = -1;
            for (int i = 0; i < s->nch && chosen < n; i++)
                if (!closed[i] && cs[chosen].ch == s->ch[i] && cs[chosen].dir == CPAT_RECV)
                    fired = i;
            if (fired < 0) {
                vfail(t->r,
                      "a select receiving from %zu channels fired case %zu of %zu, a case that can "
                      "never be ready (returned %d; thread %d, cap %zu)",
                      real, chosen, n, e, t->index, s->k.cap);
                return EINVAL;
            }
            *c = (unsigned)fired;
            *v = cs[chosen].value;
            if (e == EPIPE && *v) {
                vfail(t->r, "select returned EPIPE for a recv case with value %p, not NULL", *v);
                return EINVAL;
            }
            return e;
        }
        if (e == EAGAIN && d == CPAT_DEFAULT) {
            sched_yield();
            return EAGAIN;
        }
        if (e == ETIMEDOUT && d != CPAT_DEFAULT)
            return not_early(t, &s->k, d, "select") ? ETIMEDOUT : EINVAL;
        vfail(t->r, "%s returned %d (%s) (thread %d, cap %zu)", *how, e, cpat_strerror(e), t->index,
              s->k.cap);
        return EINVAL;
    }
    case M_CAP: {
        enum how h = pick_how(t, ops);
        *how = how_recv[h];
        atomic_fetch_add(&s->recvs_started, 1);
        e = recv_wait(t, &s->k, s->ch[0], v, h);
        if (e) {
            atomic_fetch_sub(&s->recvs_started, 1);
            return e == EPIPE ? EPIPE : EINVAL;
        }
        /* Our rank among completed receives: n values came out, so n sends
         * had started (each counted itself before it called). */
        uint64_t n = atomic_fetch_add(&s->recvs_done, 1) + 1;
        uint64_t started = atomic_load(&s->sends_started);
        if (n > started) {
            vfail(t->r,
                  "receive #%" PRIu64 " completed when only %" PRIu64
                  " sends had started (thread %d, cap %zu)",
                  n, started, t->index, s->k.cap);
            return EINVAL;
        }
        size_t len = ops->len(s->ch[0]);
        if (len > s->k.ecap) {
            vfail(t->r,
                  "len() returned %zu on a channel of cap %zu: no snapshot of it can hold more "
                  "(thread %d)",
                  len, s->k.ecap, t->index);
            return EINVAL;
        }
        return 0;
    }
    default: {
        enum how h = pick_how(t, ops);
        *how = how_recv[h];
        e = recv_wait(t, &s->k, s->ch[0], v, h);
        return e == 0 || e == EPIPE ? e : EINVAL;
    }
    }
}

static void stream_sender(struct vthread *t, struct stream *s) {
    uint64_t seq;
    while (!vtime_up(t) && !vfailed(t->r) && (seq = ledger_make(&s->L, t->index)) != NO_SEQ) {
        unsigned c = s->mode == M_SELECT_TIMED ? 0 : (unsigned)(vrand(t) % s->nch);
        void *v = s->mode == M_HB ? (void *)payload_new(t->index, seq) : pack(t->index, c, seq);
        int e = stream_send(t, s, c, v);
        ledger_say(&s->L, t->index, seq, e == 0 ? L_SENT : L_KEPT);
        if (e && s->mode == M_HB)
            free(v);
        if (e == ETIMEDOUT || e == EAGAIN)
            atomic_fetch_add_explicit(&s->timeouts, 1, memory_order_relaxed);
        if (e == EPIPE) {
            vfail(t->r,
                  "a send by thread %d returned EPIPE on a channel nobody had closed (cap %zu)",
                  t->index, s->k.cap);
            break;
        }
        if (e == EINVAL)
            break;
        vtick(t);
        stream_pause(t, s, true);
    }
    if (atomic_fetch_sub(&s->senders_left, 1) == 1) /* the last sender closes */
        for (int c = 0; c < s->nch; c++) {
            int e = s->k.ops->close(s->ch[c]);
            if (e)
                vfail(t->r, "close of an open channel returned %d (%s) (cap %zu)", e,
                      cpat_strerror(e), s->k.cap);
        }
}

/* A value arrived on channel c: who sent it, in order, once.  last[s] is
 * 1 + the sequence of the last value from sender s (0: none yet). */
static void stream_account(struct vthread *t, struct stream *s, void *v, unsigned c, uint64_t *last,
                           const char *how) {
    struct vid id;
    if (s->mode == M_HB) {
        /* Plain reads of what the sender wrote before its send: without a
         * happens-before, TSan reports them, and a stale read shows. */
        struct payload *p = v;
        id = (struct vid){p->thread, 0, p->seq};
        if (id.thread < 0 || id.thread >= s->senders) {
            vfail(t->r,
                  "thread %d received payload %p naming sender %d, which does not exist "
                  "(cap %zu)",
                  t->index, v, id.thread, s->k.cap);
            return;
        }
        for (int i = 0; i < 6; i++)
            if (p->word[i] != payload_word(id.thread, id.seq, i)) {
                vfail(t->r,
                      "thread %d received payload #%" PRIu64 " of sender %d by %s with word %d = "
                      "%#" PRIx64 ", not %#" PRIx64
                      ": the receive does not see the sender's writes (cap %zu)",
                      t->index, id.seq, id.thread, how, i, p->word[i],
                      payload_word(id.thread, id.seq, i), s->k.cap);
                return;
            }
        p->word[0] = 0; /* and a plain write, then the free */
        free(p);
    } else {
        id = unpack(v);
        if (id.thread >= s->senders ||
            (s->mode != M_SELECT_TIMED && id.thread >= 0 && id.chan != c)) {
            vfail(t->r,
                  "thread %d received %p by %s on channel %u, not a value sent there "
                  "(cap %zu)",
                  t->index, v, how, c, s->k.cap);
            return;
        }
    }
    if (id.thread >= 0 && s->nch == 1) {
        uint64_t prev = last[id.thread];
        if (id.seq + 1 <= prev) {
            vfail(t->r,
                  "thread %d received value #%" PRIu64 " of sender %d after #%" PRIu64
                  ": not in the order it was sent (by %s, cap %zu)",
                  t->index, id.seq, id.thread, prev - 1, how, s->k.cap);
            return;
        }
        if (s->mode == M_FIFO && s->receivers == 1 && id.seq != prev) {
            vfail(t->r,
                  "the only receiver got value #%" PRIu64 " of sender %d after #%" PRId64
                  ": #%" PRIu64 " was skipped (by %s, cap %zu)",
                  id.seq, id.thread, (int64_t)prev - 1, prev, how, s->k.cap);
            return;
        }
        last[id.thread] = id.seq + 1;
    }
    ledger_got(t, &s->L, id.thread, id.seq, s->mode == M_HB ? pack(id.thread, 0, id.seq) : v, how,
               s->k.cap);
}

static void stream_receiver(struct vthread *t, struct stream *s) {
    uint64_t *last = calloc((size_t)s->senders, sizeof *last);
    bool closed[STREAM_MAXCH] = {false};
    int open = s->nch;
    /* Even after a failure: drain until every channel is closed, so that
     * no sender stays blocked. */
    while (open > 0) {
        void *v = NULL;
        unsigned c;
        const char *how = "";
        int e = stream_recv(t, s, closed, &v, &c, &how);
        if (e == EPIPE) {
            if (!closed[c])
                open--;
            closed[c] = true;
            continue;
        }
        if (e)
            continue;
        if (!vfailed(t->r))
            stream_account(t, s, v, c, last, how);
        vtick(t);
        stream_pause(t, s, false);
    }
    free(last);
    /* Closed and drained stays so. */
    void *v = &v;
    int e = s->k.ops->tryrecv(s->ch[0], &v);
    if (e != EPIPE && !vfailed(t->r))
        vfail(t->r, "tryrecv on a closed, drained channel returned %d, not EPIPE (cap %zu)", e,
              s->k.cap);
}

static void stream_thread(struct vthread *t) {
    struct stream *s = t->arg;
    if (t->index < s->senders)
        stream_sender(t, s);
    else
        stream_receiver(t, s);
}

static void *payload_value(int thread, uint64_t seq) {
    return pack(thread, 0, seq); /* C6 accounts payloads by their identity */
}

static int stream_cap(struct chk *k, enum smode mode, char *note, size_t notesz) {
    struct stream *s = calloc(1, sizeof *s);
    s->k = *k;
    s->mode = mode;
    s->senders = k->r->threads / 2;
    s->receivers = k->r->threads - s->senders;
    s->nch = mode == M_SELECT_TIMED ? STREAM_MAXCH : 1;
    bool ok = true;
    for (int c = 0; c < s->nch && ok; c++)
        ok = (s->ch[c] = chan_new(&s->k, k->cap)) != NULL;
    if (ok && mode == M_SELECT_TIMED) {
        ok = (s->never_full = chan_new(&s->k, 1)) && (s->never_empty = chan_new(&s->k, 1));
        if (ok && k->ops->trysend(s->never_full, s) != 0)
            ok = !vfail(k->r, "trysend into an empty channel of cap 1 failed");
    }
    k->ecap = s->k.ecap;
    if (ok) {
        ledger_init(&s->L, s->senders);
        atomic_init(&s->senders_left, s->senders);
        vthreads_run(k->r, k->r->threads, stream_thread, s);
        uint64_t sent = 0, kept = 0;
        static const char *const what[] = {"C1", "C2", "C6", "C7", "C8", "S4"};
        if (!vfailed(k->r) &&
            ledger_balance(k->r, &s->L, k->cap, what[mode], mode == M_HB ? payload_value : packed0,
                           &sent, &kept)) {
            if (mode == M_TIMED || mode == M_SELECT_TIMED)
                snprintf(note, notesz, "%" PRIu64 " sent, %" PRIu64 " timed out", sent, kept);
            else
                snprintf(note, notesz, "%" PRIu64 " values", sent);
        }
        if (mode == M_SELECT_TIMED && !vfailed(k->r)) {
            void *v = NULL;
            if (k->ops->tryrecv(s->never_full, &v) != 0 || v != s)
                vfail(k->r, "S4: a select sent on a full channel (cap 1): it holds %p", v);
            else if (k->ops->tryrecv(s->never_empty, &v) != EAGAIN)
                vfail(k->r, "S4: a select sent on a channel only ever received from");
        }
        ledger_free(&s->L);
    }
    for (int c = 0; c < s->nch; c++)
        chan_free(&s->k, s->ch[c]);
    chan_free(&s->k, s->never_full);
    chan_free(&s->k, s->never_empty);
    free(s);
    return vfailed(k->r) ? VFAIL : VPASS;
}

static int c1_cap(struct chk *k, char *note, size_t notesz) {
    return stream_cap(k, M_FIFO, note, notesz);
}
static int c2_cap(struct chk *k, char *note, size_t notesz) {
    return stream_cap(k, M_ONCE, note, notesz);
}
static int c6_cap(struct chk *k, char *note, size_t notesz) {
    return stream_cap(k, M_HB, note, notesz);
}
static int c7_cap(struct chk *k, char *note, size_t notesz) {
    return stream_cap(k, M_CAP, note, notesz);
}
static int c8_cap(struct chk *k, char *note, size_t notesz) {
    return stream_cap(k, M_TIMED, note, notesz);
}

static int c1_run(const struct vrun *r) {
    return over_caps(r, 0, "", c1_cap);
}
static int c2_run(const struct vrun *r) {
    return over_caps(r, 0, "", c2_cap);
}
static int c6_run(const struct vrun *r) {
    return over_caps(r, 0, "", c6_cap);
}
static int c7_run(const struct vrun *r) {
    return over_caps(r, 0, "", c7_cap);
}
static int c8_run(const struct vrun *r) {
    return over_caps(r, 0, "", c8_cap);
}

/* ---- C3: blocking on full and empty; try-operations at once ---------- */

/* Threads pair up (2i sends, 2i+1 receives) on a channel of their own; an
 * odd thread out checks the try-operations alone. */
struct c3pair {
    void *ch;
    pthread_barrier_t bar;
    _Atomic bool stop;                    /* the sender's: no more rounds */
    _Atomic int a_in, a_out, b_in, b_out; /* round numbers: entered / returned */
};

struct c3 {
    struct chk k;
    struct c3pair *pairs;
    int npairs;
    void *solo;
    _Atomic uint64_t worst_try_ns, rounds;
};

/* The quickest of three tries must return EAGAIN within TRY_BUDGET_NS. */
static bool c3_try_fails(struct vthread *t, struct c3 *s, void *ch, bool send, size_t len) {
    const struct cpat_chan_ops *ops = s->k.ops;
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        void *v = pack(t->index, 3, (uint64_t)i);
        uint64_t t0 = cpat_now_ns();
        int e = send ? ops->trysend(ch, v) : ops->tryrecv(ch, &v);
        uint64_t dt = cpat_now_ns() - t0;
        if (e != EAGAIN) {
            if (send)
                vfail(t->r,
                      "trysend into a full channel (len %zu, cap %zu) with no receiver "
                      "waiting returned %d, not EAGAIN (thread %d)",
                      len, s->k.ecap, e, t->index);
            else
                vfail(t->r,
                      "tryrecv from an empty channel (cap %zu) with no sender waiting returned "
                      "%d (%p), not EAGAIN (thread %d)",
                      s->k.ecap, e, v, t->index);
            return false;
        }
        if (dt < best)
            best = dt;
    }
    if (best > TRY_BUDGET_NS) {
        vfail(t->r, "%s took %.1f ms at best to return EAGAIN (cap %zu): it waits",
              send ? "trysend" : "tryrecv", best / 1e6, s->k.ecap);
        return false;
    }
    uint64_t w = atomic_load_explicit(&s->worst_try_ns, memory_order_relaxed);
    while (best > w && !atomic_compare_exchange_weak_explicit(
                           &s->worst_try_ns, &w, best, memory_order_relaxed, memory_order_relaxed))
        ;
    /* The timed forms and select with default give up as well. */
    void *v = pack(t->index, 4, 0);
    uint64_t d = after_us(1000);
    int e = send ? ops->send_until(ch, v, cpat_now_ns() - 1000)
                 : ops->recv_until(ch, &v, cpat_now_ns() - 1000);
    if (e != ETIMEDOUT) {
        vfail(t->r, "%s with a past deadline on a %s channel returned %d, not ETIMEDOUT (cap %zu)",
              send ? "send_until" : "recv_until", send ? "full" : "empty", e, s->k.ecap);
        return false;
    }
    e = send ? ops->send_until(ch, v, d) : ops->recv_until(ch, &v, d);
    if (e != ETIMEDOUT) {
        vfail(t->r, "%s on a %s channel nobody touches returned %d, not ETIMEDOUT (cap %zu)",
              send ? "send_until" : "recv_until", send ? "full" : "empty", e, s->k.ecap);
        return false;
    }
    if (!not_early(t, &s->k, d, send ? "send_until" : "recv_until"))
        return false;
    if (ops->select) {
        struct cpat_select_case cs = {ch, send ? CPAT_SEND : CPAT_RECV, v};
        size_t chosen;
        if ((e = ops->select(&cs, 1, CPAT_DEFAULT, &chosen)) != EAGAIN) {
            vfail(t->r,
                  "select with default, one %s case on a %s channel, returned %d, not EAGAIN (cap "
                  "%zu)",
                  send ? "send" : "recv", send ? "full" : "empty", e, s->k.ecap);
            return false;
        }
    }
    size_t l = ops->len(ch);
    if (l != len) {
        vfail(t->r, "len() is %zu after failed %s on a channel holding %zu (cap %zu)", l,
              send ? "sends" : "receives", len, s->k.ecap);
        return false;
    }
    return true;
}

static bool c3_fill(struct vthread *t, struct c3 *s, void *ch) {
    for (size_t i = 0; i < s->k.ecap; i++) {
        int e = s->k.ops->trysend(ch, pack(t->index, 0, i));
        if (e) {
            vfail(t->r, "trysend #%zu into a channel of cap %zu holding %zu returned %d (%s)",
                  i + 1, s->k.ecap, i, e, cpat_strerror(e));
            return false;
        }
    }
    size_t l = s->k.ops->len(ch);
    if (l != s->k.ecap) {
        vfail(t->r, "len() is %zu after %zu sends into a channel of cap %zu", l, s->k.ecap,
              s->k.ecap);
        return false;
    }
    return true;
}

/* Takes values #first.. of sender `from` back with tryrecv, in order; then
 * (if extra) one more value, extra. */
static bool c3_drain(struct vthread *t, struct c3 *s, void *ch, int from, size_t first,
                     void *extra) {
    for (size_t i = first; i < s->k.ecap + (extra != NULL); i++) {
        void *want = i < s->k.ecap ? pack(from, 0, i) : extra, *v = NULL;
        int e = s->k.ops->tryrecv(ch, &v);
        if (e || v != want) {
            vfail(t->r,
                  "tryrecv #%zu from a channel of cap %zu that holds values returned %d with %p, "
                  "not %p",
                  i + 1, s->k.ecap, e, v, want);
            return false;
        }
    }
    return true;
}

static void c3_solo(struct vthread *t, struct c3 *s) {
    while (!vtime_up(t) && !vfailed(t->r)) {
        if (!c3_fill(t, s, s->solo) || !c3_try_fails(t, s, s->solo, true, s->k.ecap) ||
            !c3_drain(t, s, s->solo, t->index, 0, NULL) || !c3_try_fails(t, s, s->solo, false, 0))
            return;
        vtick(t);
        vnoise(t);
    }
}

/* The pair's sender (A) and receiver (B), in steps between barriers:
 *   1. A fills the channel; every try and timed form fails at once;
 *   2. A blocks in a send: B sees it still blocked after a while, then
 *      receives, which must let A's send complete;
 *   3. B drains what is left (A's value last); every form fails at once;
 *   4. B blocks in a recv: A sees it still blocked, then sends (at cap
 *      0 by trysend, which must succeed once B waits), which must let B's
 *      recv complete. */
static void c3_sender(struct vthread *t, struct c3 *s, struct c3pair *p) {
    const struct cpat_chan_ops *ops = s->k.ops;
    for (int round = 1;; round++) {
        p->stop = vtime_up(t) || vfailed(t->r);
        pthread_barrier_wait(&p->bar);
        if (p->stop)
            return;
        if (!c3_fill(t, s, p->ch) || !c3_try_fails(t, s, p->ch, true, s->k.ecap))
            p->stop = true;
        pthread_barrier_wait(&p->bar);
        if (p->stop)
            return;
        /* 2 */
        enum how h = pick_how(t, ops);
        atomic_store_explicit(&p->a_in, round, memory_order_release);
        int e = send_wait(t, &s->k, p->ch, pack(t->index, 1, (uint64_t)round), h);
        atomic_store_explicit(&p->a_out, round, memory_order_release);
        if (e) {
            vfail(t->r, "%s into a full channel returned %d once a receiver took a value (cap %zu)",
                  how_send[h], e, s->k.ecap);
        }
        pthread_barrier_wait(&p->bar); /* 3: B drains */
        pthread_barrier_wait(&p->bar);
        if (vfailed(t->r))
            return; /* B may be gone */
        /* 4 */
        if (!await_ge(t->r, &p->b_in, round, 0))
            return;
        sleep_us(BLOCK_PROBE_US);
        if (atomic_load_explicit(&p->b_out, memory_order_acquire) == round) {
            vfail(t->r, "a recv from an empty channel returned before anything was sent (cap %zu)",
                  s->k.ecap);
            return;
        }
        void *y = pack(t->index, 2, (uint64_t)round);
        if (s->k.ecap == 0) {
            uint64_t t0 = cpat_now_ns();
            while ((e = ops->trysend(p->ch, y)) == EAGAIN) {
                if (cpat_now_ns() - t0 > wake_budget_ns(t->r)) {
                    vfail(t->r,
                          "trysend on an unbuffered channel returned EAGAIN for %.0f ms "
                          "while a receiver was blocked in recv",
                          wake_budget_ns(t->r) / 1e6);
                    return;
                }
                sched_yield();
            }
        } else {
            e = ops->trysend(p->ch, y);
        }
        if (e) {
            vfail(t->r,
                  "trysend into an empty channel (cap %zu) with a receiver waiting returned %d",
                  s->k.ecap, e);
            return;
        }
        if (!await_ge(t->r, &p->b_out, round, 0))
            return;
        atomic_fetch_add_explicit(&s->rounds, 1, memory_order_relaxed);
        vtick(t);
    }
}

static void c3_receiver(struct vthread *t, struct c3 *s, struct c3pair *p) {
    const struct cpat_chan_ops *ops = s->k.ops;
    int a = t->index - 1;
    for (int round = 1;; round++) {
        pthread_barrier_wait(&p->bar);
        if (p->stop)
            return;
        pthread_barrier_wait(&p->bar); /* 1: A fills */
        if (p->stop)
            return;
        /* 2 */
        bool ok = await_ge(t->r, &p->a_in, round, 0);
        if (ok) {
            sleep_us(BLOCK_PROBE_US);
            if (atomic_load_explicit(&p->a_out, memory_order_acquire) == round) {
                vfail(t->r, "a send into a %s returned before anything was received",
                      s->k.ecap ? "full channel" : "channel of cap 0 with no receiver");
                ok = false;
            }
        }
        void *x = pack(a, 1, (uint64_t)round), *v = NULL;
        if (ok) {
            enum how h = pick_how(t, ops);
            int e = recv_wait(t, &s->k, p->ch, &v, h);
            void *want = s->k.ecap ? pack(a, 0, 0) : x;
            if (e || v != want) {
                vfail(t->r, "%s from a full channel (cap %zu) returned %d with %p, not %p",
                      how_recv[h], s->k.ecap, e, v, want);
                ok = false;
            }
        }
        if (ok)
            ok = await_ge(t->r, &p->a_out, round, 0);
        pthread_barrier_wait(&p->bar);
        /* 3 */
        if (ok)
            ok = c3_drain(t, s, p->ch, a, 1, s->k.ecap ? x : NULL) &&
                 c3_try_fails(t, s, p->ch, false, 0);
        pthread_barrier_wait(&p->bar);
        if (!ok || vfailed(t->r))
            return;
        /* 4 */
        enum how h = pick_how(t, ops);
        atomic_store_explicit(&p->b_in, round, memory_order_release);
        int e = recv_wait(t, &s->k, p->ch, &v, h);
        atomic_store_explicit(&p->b_out, round, memory_order_release);
        void *y = pack(a, 2, (uint64_t)round);
        if (e || v != y) {
            vfail(t->r, "%s from an empty channel (cap %zu) returned %d with %p, not the %p sent",
                  how_recv[h], s->k.ecap, e, v, y);
            return;
        }
        vtick(t);
    }
}

static void c3_thread(struct vthread *t) {
    struct c3 *s = t->arg;
    int pair = t->index / 2;
    if (pair >= s->npairs)
        c3_solo(t, s);
    else if (t->index % 2 == 0)
        c3_sender(t, s, &s->pairs[pair]);
    else
        c3_receiver(t, s, &s->pairs[pair]);
}

static int c3_cap(struct chk *k, char *note, size_t notesz) {
    struct c3 *s = calloc(1, sizeof *s);
    s->k = *k;
    s->npairs = k->r->threads / 2;
    s->pairs = calloc((size_t)s->npairs, sizeof *s->pairs);
    bool ok = true;
    for (int i = 0; i < s->npairs && ok; i++) {
        ok = (s->pairs[i].ch = chan_new(&s->k, k->cap)) != NULL;
        pthread_barrier_init(&s->pairs[i].bar, NULL, 2);
    }
    if (ok && k->r->threads % 2)
        ok = (s->solo = chan_new(&s->k, k->cap)) != NULL;
    k->ecap = s->k.ecap;
    if (ok)
        vthreads_run(k->r, k->r->threads, c3_thread, s);
    for (int i = 0; i < s->npairs; i++) {
        chan_free(&s->k, s->pairs[i].ch);
        pthread_barrier_destroy(&s->pairs[i].bar);
    }
    chan_free(&s->k, s->solo);
    snprintf(note, notesz, "%" PRIu64 " rounds, slowest try %.1f us", atomic_load(&s->rounds),
             atomic_load(&s->worst_try_ns) / 1e3);
    free(s->pairs);
    free(s);
    return vfailed(k->r) ? VFAIL : VPASS;
}

static int c3_run(const struct vrun *r) {
    return over_caps(r, 0, "", c3_cap);
}

/* ---- C4: after close, the buffer drains in order, then EPIPE ---------- */

/* Rounds: thread 0 makes a channel, sends n values (all before close and
 * before the receivers start; or while they receive) and closes; the
 * others receive until EPIPE, each in order, all exactly once, and find
 * the channel stays closed. */
struct c4 {
    struct chk k;
    pthread_barrier_t bar;
    void *ch;
    bool stop, before; /* plain: thread 0 writes them before a barrier */
    size_t n;
    _Atomic unsigned char *got;
    _Atomic uint64_t rounds, values;
};

/* Every later operation on a closed channel reports it closed. */
static bool closed_stays(struct vthread *t, const struct chk *k, void *ch, bool drained) {
    const struct cpat_chan_ops *ops = k->ops;
    void *v = &v;
    int e;
    if ((e = ops->trysend(ch, v)) != EPIPE || (e = ops->send(ch, v)) != EPIPE ||
        (e = ops->send_until(ch, v, after_us(FAR_US))) != EPIPE) {
        vfail(t->r, "a send on a closed channel returned %d, not EPIPE (cap %zu)", e, k->ecap);
        return false;
    }
    if ((e = ops->close(ch)) != EPIPE) {
        vfail(t->r, "a second close returned %d, not EPIPE (cap %zu)", e, k->ecap);
        return false;
    }
    if (ops->select) {
        struct cpat_select_case cs[2] = {{NULL, CPAT_RECV, NULL}, {ch, CPAT_SEND, v}};
        size_t chosen = 0;
        if ((e = ops->select(cs, 2, CPAT_DEFAULT, &chosen)) != EPIPE || chosen != 1) {
            vfail(t->r,
                  "select sending on a closed channel returned %d with case %zu, not EPIPE with "
                  "case 1 (cap %zu)",
                  e, chosen, k->ecap);
            return false;
        }
    }
    if (!drained)
        return true;
    if ((e = ops->tryrecv(ch, &v)) != EPIPE || v || (e = ops->recv(ch, &v)) != EPIPE || v ||
        (e = ops->recv_until(ch, &v, after_us(FAR_US))) != EPIPE || v) {
        vfail(t->r,
              "a receive on a closed, drained channel returned %d with %p, not EPIPE with NULL "
              "(cap %zu)",
              e, v, k->ecap);
        return false;
    }
    if (ops->select) {
        struct cpat_select_case cs[2] = {{ch, CPAT_RECV, &v}, {NULL, CPAT_SEND, v}};
        size_t chosen = 1;
        if ((e = ops->select(cs, 2, CPAT_DEFAULT, &chosen)) != EPIPE || chosen != 0 ||
            cs[0].value) {
            vfail(t->r,
                  "select receiving on a closed, drained channel returned %d with case %zu and %p, "
                  "not EPIPE with case 0 and NULL (cap %zu)",
                  e, chosen, cs[0].value, k->ecap);
            return false;
        }
    }
    return true;
}

static void c4_closer(struct vthread *t, struct c4 *s) {
    const struct cpat_chan_ops *ops = s->k.ops;
    for (;;) {
        s->stop = vtime_up(t) || vfailed(t->r);
        if (!s->stop) {
            s->ch = chan_new(&s->k, s->k.cap);
            s->stop = !s->ch;
        }
        if (!s->stop) {
            uint64_t x = vrand(t);
            size_t e = s->k.ecap;
            s->n = e == 0 ? x % 4 : x % 4 == 0 ? e : (size_t)((x >> 4) % (e + 1));
            s->before = e > 0 && (x >> 2) % 2;
            memset((void *)s->got, 0, s->n + 1);
        }
        if (!s->stop && s->before) { /* all in, closed, then the receivers start */
            for (size_t i = 0; i < s->n && !s->stop; i++) {
                int r = ops->trysend(s->ch, pack(0, 0, i));
                if (r)
                    s->stop = vfail(t->r, "trysend #%zu into a channel of cap %zu returned %d",
                                    i + 1, s->k.ecap, r);
            }
            int r = ops->close(s->ch);
            if (!s->stop && r)
                s->stop = vfail(t->r, "close of an open channel returned %d", r);
            size_t l = ops->len(s->ch);
            if (!s->stop && l != s->n)
                s->stop = vfail(t->r, "len() is %zu after %zu sends and close (cap %zu)", l, s->n,
                                s->k.ecap);
            if (!s->stop)
                s->stop = !closed_stays(t, &s->k, s->ch, false);
        }
        pthread_barrier_wait(&s->bar);
        if (s->stop) {
            chan_free(&s->k, s->ch);
            return;
        }
        if (!s->before) { /* sent while the receivers receive, then closed */
            for (size_t i = 0; i < s->n; i++) {
                if (send_wait(t, &s->k, s->ch, pack(0, 0, i), pick_how(t, ops)))
                    break;
                vnoise(t);
            }
            int r = ops->close(s->ch);
            if (r)
                vfail(t->r, "close of an open channel returned %d", r);
        }
        pthread_barrier_wait(&s->bar);
        for (size_t i = 0; i < s->n && !vfailed(t->r); i++)
            if (atomic_load(&s->got[i]) != 1)
                vfail(t->r, "value #%zu of %zu, sent %s close, was received %d times (cap %zu)", i,
                      s->n, s->before ? "and buffered before" : "before", atomic_load(&s->got[i]),
                      s->k.ecap);
        if (!vfailed(t->r) && ops->len(s->ch) != 0)
            vfail(t->r, "len() is %zu on a closed, drained channel", ops->len(s->ch));
        chan_free(&s->k, s->ch);
        s->ch = NULL;
        atomic_fetch_add(&s->rounds, 1);
        atomic_fetch_add(&s->values, s->n);
        vtick(t);
    }
}

static void c4_receiver(struct vthread *t, struct c4 *s) {
    for (;;) {
        pthread_barrier_wait(&s->bar);
        if (s->stop)
            return;
        uint64_t last = 0; /* 1 + the last value's number */
        for (;;) {
            void *v;
            enum how h = pick_how(t, s->k.ops);
            int e = recv_wait(t, &s->k, s->ch, &v, h);
            if (e)
                break;
            struct vid id = unpack(v);
            if (id.thread != 0 || id.chan != 0 || id.seq >= s->n) {
                vfail(t->r, "thread %d received %p by %s, not a value sent (cap %zu)", t->index, v,
                      how_recv[h], s->k.ecap);
                break;
            }
            if (id.seq < last || (t->r->threads == 2 && id.seq != last)) {
                vfail(t->r,
                      "thread %d received value #%" PRIu64 " after #%" PRId64
                      " by %s: not in the order sent (%zu values, %s close, cap %zu)",
                      t->index, id.seq, (int64_t)last - 1, how_recv[h], s->n,
                      s->before ? "all buffered before" : "sent before", s->k.ecap);
                break;
            }
            last = id.seq + 1;
            atomic_fetch_add(&s->got[id.seq], 1);
            vnoise(t);
        }
        if (!vfailed(t->r))
            closed_stays(t, &s->k, s->ch, true);
        pthread_barrier_wait(&s->bar);
    }
}

static void c4_thread(struct vthread *t) {
    if (t->index == 0)
        c4_closer(t, t->arg);
    else
        c4_receiver(t, t->arg);
}

static int c4_cap(struct chk *k, char *note, size_t notesz) {
    struct c4 *s = calloc(1, sizeof *s);
    s->k = *k;
    /* ecap is known after the first make: size got[] for the largest */
    void *probe = chan_new(&s->k, k->cap);
    if (!probe) {
        free(s);
        return VFAIL;
    }
    chan_free(&s->k, probe);
    k->ecap = s->k.ecap;
    s->got = calloc(s->k.ecap + 8, 1);
    pthread_barrier_init(&s->bar, NULL, (unsigned)k->r->threads);
    vthreads_run(k->r, k->r->threads, c4_thread, s);
    pthread_barrier_destroy(&s->bar);
    snprintf(note, notesz, "%" PRIu64 " rounds, %" PRIu64 " values", atomic_load(&s->rounds),
             atomic_load(&s->values));
    free((void *)s->got);
    free(s);
    return vfailed(k->r) ? VFAIL : VPASS;
}

static int c4_run(const struct vrun *r) {
    return over_caps(r, 0, "", c4_cap);
}

/* ---- C5: close wakes every blocked receiver and sender ---------------- */

/* Rounds on max(threads, 4) threads; thread 0 closes:
 *   R  the others block receiving from an empty channel: all get EPIPE;
 *   S  the others block sending into a full one: all get EPIPE, and the
 *      buffer holds exactly what it held before, then EPIPE;
 *   M  (CPAT_CHAN_CLOSE_EXACT) odd threads send and even ones receive
 *      while close comes at a random moment: every send that returned 0
 *      is received once, every one that returned EPIPE never, and each
 *      sender's next send after EPIPE is EPIPE too.
 * Every round checks that later sends and a second close return EPIPE. */
enum { C5_R, C5_S, C5_M };

struct c5 {
    struct chk k;
    int n; /* threads */
    pthread_barrier_t bar;
    void *ch;
    bool stop; /* plain: thread 0 writes them before a barrier */
    int kind;
    _Atomic int in, out;
    struct ledger L;
    uint64_t rounds[3];
};

static void c5_closer(struct vthread *t, struct c5 *s) {
    const struct cpat_chan_ops *ops = s->k.ops;
    bool exact = ops->flags & CPAT_CHAN_CLOSE_EXACT;
    for (int round = 0;; round++) {
        s->stop = vtime_up(t) || vfailed(t->r);
        if (!s->stop) {
            s->kind = round % (exact ? 3 : 2);
            s->ch = chan_new(&s->k, s->k.cap);
            s->stop = !s->ch;
            atomic_store(&s->in, 0);
            atomic_store(&s->out, 0);
        }
        if (!s->stop && s->kind == C5_S)
            for (size_t i = 0; i < s->k.ecap && !s->stop; i++) {
                int e = ops->trysend(s->ch, pack(0, 0, i));
                if (e)
                    s->stop = vfail(t->r, "trysend #%zu into a channel of cap %zu returned %d",
                                    i + 1, s->k.ecap, e);
            }
        pthread_barrier_wait(&s->bar);
        if (s->stop) {
            chan_free(&s->k, s->ch);
            return;
        }
        int others = s->n - 1;
        if (s->kind == C5_M) {
            sleep_us((long)(vrand(t) % 3000));
        } else {
            if (!await_ge(t->r, &s->in, others, 0))
                return;
            sleep_us(BLOCK_PROBE_US);
        }
        int e = ops->close(s->ch);
        if (e)
            vfail(t->r, "close of an open channel returned %d (%s)", e, cpat_strerror(e));
        if (s->kind != C5_M && !vfailed(t->r) &&
            !await_ge(t->r, &s->out, others, wake_budget_ns(t->r))) {
            if (!vfailed(t->r))
                vfail(t->r, "close woke %d of %d threads blocked %s within %.0f ms (cap %zu)",
                      atomic_load(&s->out), others,
                      s->kind == C5_R ? "receiving from an empty channel"
                                      : "sending into a full channel",
                      wake_budget_ns(t->r) / 1e6, s->k.ecap);
            return; /* the others stay blocked: the runner reports the failure */
        }
        if (!vfailed(t->r))
            closed_stays(t, &s->k, s->ch, s->kind == C5_R);
        if (s->kind == C5_S && !vfailed(t->r)) {
            /* What was buffered, in order; none of the refused values. */
            for (size_t i = 0; i <= s->k.ecap && !vfailed(t->r); i++) {
                void *v = NULL;
                e = ops->tryrecv(s->ch, &v);
                void *want = i < s->k.ecap ? pack(0, 0, i) : NULL;
                if (e != (i < s->k.ecap ? 0 : EPIPE) || v != want)
                    vfail(t->r,
                          "receive #%zu after close from a channel that held %zu values returned "
                          "%d with %p, not %p%s (cap %zu)",
                          i + 1, s->k.ecap, e, v, want,
                          unpack(v).thread > 0 ? ": a refused sender's value" : "", s->k.ecap);
            }
            if (!vfailed(t->r))
                closed_stays(t, &s->k, s->ch, true);
        }
        pthread_barrier_wait(&s->bar);
        if (s->kind == C5_M && !vfailed(t->r))
            ledger_balance(t->r, &s->L, s->k.ecap, "C5 close racing sends", packed0, NULL, NULL);
        if (s->kind == C5_M)
            ledger_reset(&s->L);
        chan_free(&s->k, s->ch);
        s->ch = NULL;
        s->rounds[s->kind]++;
        vtick(t);
    }
}

static void c5_other(struct vthread *t, struct c5 *s) {
    const struct cpat_chan_ops *ops = s->k.ops;
    for (uint64_t round = 0;; round++) {
        pthread_barrier_wait(&s->bar);
        if (s->stop)
            return;
        enum how h = pick_how(t, ops);
        void *v = NULL;
        int e;
        switch (s->kind) {
        case C5_R:
            atomic_fetch_add_explicit(&s->in, 1, memory_order_release);
            e = recv_wait(t, &s->k, s->ch, &v, h);
            if (e == 0)
                vfail(t->r, "%s from an empty channel nobody sends to returned %p (cap %zu)",
                      how_recv[h], v, s->k.ecap);
            atomic_fetch_add_explicit(&s->out, 1, memory_order_release);
            break;
        case C5_S:
            atomic_fetch_add_explicit(&s->in, 1, memory_order_release);
            e = send_wait(t, &s->k, s->ch, pack(t->index, 1, round), h);
            if (e == 0)
                vfail(t->r, "%s into a %s returned 0 though nobody received (thread %d, cap %zu)",
                      how_send[h], s->k.ecap ? "full channel" : "channel of cap 0", t->index,
                      s->k.ecap);
            atomic_fetch_add_explicit(&s->out, 1, memory_order_release);
            break;
        default: /* C5_M */
            if (t->index % 2) {
                uint64_t seq;
                while ((seq = ledger_make(&s->L, t->index)) != NO_SEQ) {
                    e = send_wait(t, &s->k, s->ch, pack(t->index, 0, seq), pick_how(t, ops));
                    ledger_say(&s->L, t->index, seq, e == 0 ? L_SENT : L_KEPT);
                    if (e == EPIPE && (e = ops->send(s->ch, v)) != EPIPE)
                        vfail(t->r, "a send after one that returned EPIPE returned %d (cap %zu)", e,
                              s->k.ecap);
                    if (e)
                        break;
                    vtick(t);
                    vnoise(t);
                }
            } else {
                while ((e = recv_wait(t, &s->k, s->ch, &v, pick_how(t, ops))) == 0) {
                    struct vid id = unpack(v);
                    if (!ledger_got(t, &s->L, id.thread, id.seq, v, "recv", s->k.ecap))
                        break;
                    vtick(t);
                    vnoise(t);
                }
            }
        }
        pthread_barrier_wait(&s->bar);
    }
}

static void c5_thread(struct vthread *t) {
    if (t->index == 0)
        c5_closer(t, t->arg);
    else
        c5_other(t, t->arg);
}

static int c5_cap(struct chk *k, char *note, size_t notesz) {
    struct c5 *s = calloc(1, sizeof *s);
    s->k = *k;
    s->n = k->r->threads < 4 ? 4 : k->r->threads; /* several blocked at once */
    void *probe = chan_new(&s->k, k->cap);
    if (!probe) {
        free(s);
        return VFAIL;
    }
    chan_free(&s->k, probe);
    k->ecap = s->k.ecap;
    ledger_init(&s->L, s->n);
    pthread_barrier_init(&s->bar, NULL, (unsigned)s->n);
    vthreads_run(k->r, s->n, c5_thread, s);
    pthread_barrier_destroy(&s->bar);
    ledger_free(&s->L);
    snprintf(note, notesz,
             "%" PRIu64 " blocked-receiver, %" PRIu64 " blocked-sender, %" PRIu64
             " racing rounds%s",
             s->rounds[0], s->rounds[1], s->rounds[2],
             k->ops->flags & CPAT_CHAN_CLOSE_EXACT ? "" : " (no CLOSE_EXACT: none)");
    free(s);
    return vfailed(k->r) ? VFAIL : VPASS;
}

static int c5_run(const struct vrun *r) {
    return over_caps(r, 0, "", c5_cap);
}

/* ---- S1: never default while a case is ready -------------------------- */

/* Every thread selects with default over 2-8 cases: one certainly ready
 * (a recv from its own channel holding a value, a send into its own empty
 * one, or a recv from its own closed one), the others on shared channels
 * that all threads race on (with timed sends and recvs between the selects,
 * so that capacity 0 has partners), NULL channels among them.  EAGAIN is
 * wrong every time.  Whatever fires is accounted: the ready case's own
 * channel shows whether it moved, the shared channels' values go through
 * the ledger. */
#define S1_RACE 3

struct s1 {
    struct chk k;
    void *race[S1_RACE];
    struct ledger L;
    _Atomic uint64_t selects, ready_taken;
};

enum { RK_RECV_FULL, RK_SEND_ROOM, RK_RECV_CLOSED };
static const char *const ready_what[] = {"a recv from a channel holding a value",
                                         "a send into an empty channel of cap 1",
                                         "a recv from a closed channel"};

static void s1_race_op(struct vthread *t, struct s1 *s) {
    const struct cpat_chan_ops *ops = s->k.ops;
    void *ch = s->race[vrand(t) % S1_RACE];
    uint64_t d = near_deadline(t);
    if (vrand(t) % 2) {
        uint64_t seq = ledger_make(&s->L, t->index);
        if (seq == NO_SEQ)
            return;
        int e = ops->send_until(ch, pack(t->index, 0, seq), d);
        ledger_say(&s->L, t->index, seq, e == 0 ? L_SENT : L_KEPT);
        if (e != 0 && e != ETIMEDOUT)
            vfail(t->r, "send_until on an open channel returned %d (cap %zu)", e, s->k.ecap);
    } else {
        void *v = NULL;
        int e = ops->recv_until(ch, &v, d);
        if (e == 0) {
            struct vid id = unpack(v);
            if (id.chan != 0)
                id.thread = -1; /* a private value: not the shared channels' */
            ledger_got(t, &s->L, id.thread, id.seq, v, "recv_until", s->k.ecap);
        } else if (e != ETIMEDOUT) {
            vfail(t->r, "recv_until on an open channel returned %d (cap %zu)", e, s->k.ecap);
        }
    }
}

static void s1_select(struct vthread *t, struct s1 *s, void *full, void *room, void *closed) {
    const struct cpat_chan_ops *ops = s->k.ops;
    struct cpat_select_case cs[8];
    uint64_t seqs[8];
    size_t n = 2 + vrand(t) % 7, at = vrand(t) % n;
    int kind = (int)(vrand(t) % 3);
    void *mine = pack(t->index, 1, atomic_load(&s->selects));
    if (kind == RK_RECV_FULL && ops->trysend(full, mine) != 0) {
        vfail(t->r, "trysend into an empty channel of cap 1 failed");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        seqs[i] = NO_SEQ;
        uint64_t x = vrand(t);
        if (i == at)
            cs[i] = kind == RK_RECV_FULL   ? (struct cpat_select_case){full, CPAT_RECV, NULL}
                    : kind == RK_SEND_ROOM ? (struct cpat_select_case){room, CPAT_SEND, mine}
                                           : (struct cpat_select_case){closed, CPAT_RECV, NULL};
        else if (x % 4 == 0)
            cs[i] = (struct cpat_select_case){NULL, (x >> 2) % 2 ? CPAT_SEND : CPAT_RECV, cs};
        else if ((x >> 2) % 2 && (seqs[i] = ledger_make(&s->L, t->index)) != NO_SEQ)
            cs[i] = (struct cpat_select_case){s->race[(x >> 3) % S1_RACE], CPAT_SEND,
                                              pack(t->index, 0, seqs[i])};
        else
            cs[i] = (struct cpat_select_case){s->race[(x >> 3) % S1_RACE], CPAT_RECV, NULL};
    }
    size_t chosen = SIZE_MAX;
    int e = ops->select(cs, n, CPAT_DEFAULT, &chosen);
    atomic_fetch_add_explicit(&s->selects, 1, memory_order_relaxed);
    if (e == EAGAIN) {
        vfail(t->r,
              "select with default over %zu cases returned EAGAIN while case %zu, %s, was ready "
              "(thread %d, cap %zu)",
              n, at, ready_what[kind], t->index, s->k.ecap);
        return;
    }
    if ((e != 0 && e != EPIPE) || chosen >= n || !cs[chosen].ch) {
        vfail(t->r, "select with default over %zu cases returned %d with case %zu (%s) (cap %zu)",
              n, e, chosen, chosen < n ? "a NULL channel" : "out of range", s->k.ecap);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (seqs[i] != NO_SEQ)
            ledger_say(&s->L, t->index, seqs[i], i == chosen && e == 0 ? L_SENT : L_KEPT);
    if (chosen != at) {
        if (e != 0) {
            vfail(t->r, "select fired case %zu on an open shared channel with %d (cap %zu)", chosen,
                  e, s->k.ecap);
            return;
        }
        if (cs[chosen].dir == CPAT_RECV) {
            struct vid id = unpack(cs[chosen].value);
            if (id.chan != 0)
                id.thread = -1; /* a private value: not the shared channels' */
            ledger_got(t, &s->L, id.thread, id.seq, cs[chosen].value, "select", s->k.ecap);
        }
    } else {
        atomic_fetch_add_explicit(&s->ready_taken, 1, memory_order_relaxed);
        bool ok = kind == RK_RECV_FULL   ? e == 0 && cs[at].value == mine
                  : kind == RK_SEND_ROOM ? e == 0
                                         : e == EPIPE && cs[at].value == NULL;
        if (!ok) {
            vfail(t->r, "select fired the ready case, %s, with %d and %p (cap %zu)",
                  ready_what[kind], e, cs[at].value, s->k.ecap);
            return;
        }
    }
    /* The ready case's channel shows whether it moved, exactly once. */
    void *v = NULL;
    if (kind == RK_RECV_FULL && chosen != at && (ops->tryrecv(full, &v) != 0 || v != mine))
        vfail(t->r,
              "select fired case %zu yet the value of the ready case %zu (a recv) is gone too: "
              "it took two values (cap %zu)",
              chosen, at, s->k.ecap);
    if (kind == RK_SEND_ROOM) {
        e = ops->tryrecv(room, &v);
        if (chosen == at && (e != 0 || v != mine))
            vfail(t->r,
                  "select fired a send case into an empty channel that then held %p (%d), not %p",
                  v, e, mine);
        if (chosen != at && e != EAGAIN)
            vfail(t->r,
                  "select fired case %zu yet also sent on the ready case %zu: it fired two cases "
                  "(cap %zu)",
                  chosen, at, s->k.ecap);
    }
}

static void s1_thread(struct vthread *t) {
    struct s1 *s = t->arg;
    struct chk k = s->k;
    void *full = chan_new(&k, 1), *room = chan_new(&k, 1), *closed = chan_new(&k, s->k.cap);
    if (full && room && closed && k.ops->close(closed) == 0)
        while (!vtime_up(t) && !vfailed(t->r)) {
            if (vrand(t) % 2)
                s1_race_op(t, s);
            else
                s1_select(t, s, full, room, closed);
            vtick(t);
            vnoise(t);
        }
    chan_free(&k, full);
    chan_free(&k, room);
    chan_free(&k, closed);
}

static int s1_cap(struct chk *k, char *note, size_t notesz) {
    struct s1 *s = calloc(1, sizeof *s);
    s->k = *k;
    bool ok = true;
    for (int i = 0; i < S1_RACE && ok; i++)
        ok = (s->race[i] = chan_new(&s->k, k->cap)) != NULL;
    k->ecap = s->k.ecap;
    if (ok) {
        ledger_init(&s->L, k->r->threads);
        vthreads_run(k->r, k->r->threads, s1_thread, s);
        /* What the racing left in the shared channels. */
        struct vthread main = {.r = k->r, .index = -1};
        for (int i = 0; i < S1_RACE && !vfailed(k->r); i++) {
            void *v;
            while (k->ops->tryrecv(s->race[i], &v) == 0) {
                struct vid id = unpack(v);
                if (!ledger_got(&main, &s->L, id.thread, id.seq, v, "tryrecv", k->ecap))
                    break;
            }
        }
        if (!vfailed(k->r) &&
            ledger_balance(k->r, &s->L, k->ecap, "S1 shared channels", packed0, NULL, NULL))
            snprintf(note, notesz, "%" PRIu64 " selects, the ready case taken in %" PRIu64,
                     atomic_load(&s->selects), atomic_load(&s->ready_taken));
        ledger_free(&s->L);
    }
    for (int i = 0; i < S1_RACE; i++)
        chan_free(&s->k, s->race[i]);
    free(s);
    return vfailed(k->r) ? VFAIL : VPASS;
}

static int s1_run(const struct vrun *r) {
    return over_caps(r, CPAT_CHAN_SELECT, "select", s1_cap);
}

/* ---- S2: uniform choice among ready cases ----------------------------- */

/* Each thread selects over 2, 3 and 8 cases of its own that are always
 * ready (recv from closed channels; at cap > 0 also recv from a channel
 * holding a value, refilled after, and send into an empty one, drained
 * after), with default or blocking.  The counts per position, summed over
 * the threads, must pass a chi-square test. */
static const int S2_N[] = {2, 3, 8};
#define S2_NN 3
/* Chi-square quantiles a correct select exceeds with probability 1e-6,
 * for n - 1 = 1, 2 and 7 degrees of freedom (P(X > q) = 1e-6). */
static const double S2_BOUND[] = {23.93, 27.63, 40.52};

struct s2 {
    struct chk k;
    _Atomic uint64_t count[S2_NN][8];
};

static void s2_thread(struct vthread *t) {
    struct s2 *s = t->arg;
    struct chk k = s->k;
    const struct cpat_chan_ops *ops = k.ops;
    void *full[8] = {0}, *room[8] = {0}, *closed[8] = {0};
    uint64_t count[S2_NN][8] = {{0}};
    void *mark = pack(t->index, 0, 0);
    bool ok = true;
    for (int i = 0; i < 8 && ok; i++) {
        ok = (closed[i] = chan_new(&k, k.cap)) && ops->close(closed[i]) == 0;
        if (ok && k.cap)
            ok = (full[i] = chan_new(&k, k.cap)) && (room[i] = chan_new(&k, k.cap)) &&
                 ops->trysend(full[i], mark) == 0;
    }
    if (!ok && !vfailed(t->r))
        vfail(t->r, "could not set up always-ready channels (cap %zu)", k.cap);
    for (uint64_t it = 0; ok && !vtime_up(t) && !vfailed(t->r); it++) {
        int ni = (int)(it % S2_NN), n = S2_N[ni];
        struct cpat_select_case cs[8];
        int kind[8];
        for (int i = 0; i < n; i++) {
            kind[i] = k.cap ? (int)(vrand(t) % 3) : RK_RECV_CLOSED;
            cs[i] = kind[i] == RK_RECV_FULL ? (struct cpat_select_case){full[i], CPAT_RECV, NULL}
                    : kind[i] == RK_SEND_ROOM
                        ? (struct cpat_select_case){room[i], CPAT_SEND, mark}
                        : (struct cpat_select_case){closed[i], CPAT_RECV, NULL};
        }
        size_t chosen = SIZE_MAX;
        uint64_t d = it % 2 ? CPAT_DEFAULT : CPAT_FOREVER;
        int e = ops->select(cs, (size_t)n, d, &chosen);
        if (chosen >= (size_t)n || e != (kind[chosen] == RK_RECV_CLOSED ? EPIPE : 0)) {
            vfail(t->r, "select %s over %d always-ready cases returned %d with case %zu (cap %zu)",
                  d ? "blocking" : "with default", n, e, chosen, k.cap);
            break;
        }
        void *v = NULL;
        if (kind[chosen] == RK_RECV_FULL &&
            (cs[chosen].value != mark || ops->trysend(full[chosen], mark) != 0))
            ok = !vfail(t->r,
                        "select took %p from a channel holding %p, or it could not be refilled",
                        cs[chosen].value, mark);
        if (kind[chosen] == RK_SEND_ROOM && (ops->tryrecv(room[chosen], &v) != 0 || v != mark))
            ok = !vfail(t->r, "select sent into an empty channel, which then held %p, not %p", v,
                        mark);
        count[ni][chosen]++;
        vtick(t);
    }
    for (int ni = 0; ni < S2_NN; ni++)
        for (int i = 0; i < 8; i++)
            atomic_fetch_add(&s->count[ni][i], count[ni][i]);
    for (int i = 0; i < 8; i++) {
        chan_free(&k, full[i]);
        chan_free(&k, room[i]);
        chan_free(&k, closed[i]);
    }
}

static int s2_cap(struct chk *k, char *note, size_t notesz) {
    struct s2 *s = calloc(1, sizeof *s);
    s->k = *k;
    vthreads_run(k->r, k->r->threads, s2_thread, s);
    size_t len = 0;
    for (int ni = 0; ni < S2_NN && !vfailed(k->r); ni++) {
        int n = S2_N[ni];
        uint64_t total = 0;
        for (int i = 0; i < n; i++)
            total += atomic_load(&s->count[ni][i]);
        if (total < 20u * (unsigned)n) { /* too few for the test to mean anything */
            len +=
                (size_t)snprintf(note + len, notesz - len, "%sn=%d: %" PRIu64 " selects, untested",
                                 ni ? ", " : "", n, total);
            continue;
        }
        double expect = (double)total / n, chi2 = 0;
        char counts[200];
        size_t cl = 0;
        for (int i = 0; i < n; i++) {
            double d = (double)atomic_load(&s->count[ni][i]) - expect;
            chi2 += d * d / expect;
            cl += (size_t)snprintf(counts + cl, sizeof counts - cl, "%s%" PRIu64, i ? " " : "",
                                   atomic_load(&s->count[ni][i]));
        }
        if (chi2 > S2_BOUND[ni]) {
            vfail(k->r,
                  "select chose among %d always-ready cases %" PRIu64
                  " times with counts [%s]: chi-square %.1f > %.2f, which a uniform choice "
                  "exceeds with probability < 1e-6 (cap %zu)",
                  n, total, counts, chi2, S2_BOUND[ni], k->cap);
            break;
        }
        if (len < notesz)
            len +=
                (size_t)snprintf(note + len, notesz - len, "%sn=%d: %" PRIu64 " selects, chi2 %.1f",
                                 ni ? ", " : "", n, total, chi2);
    }
    free(s);
    return vfailed(k->r) ? VFAIL : VPASS;
}

static int s2_run(const struct vrun *r) {
    return over_caps(r, CPAT_CHAN_SELECT, "select", s2_cap);
}

/* ---- S3: a blocked select wakes for what becomes ready, takes one ----- */

/* Rounds.  Threads 0..W-1 are wakers, the others selectors.  The
 * selectors block in a select over recv cases on n of 8 shared channels
 * (2 <= n <= 8; among NULL cases, a send case into a full channel and a
 * recv case on a channel nobody sends to, which must never fire); once
 * they have all entered, the wakers send as many values as there are
 * selectors (more at cap > 0: a burst makes several channels ready at
 * once), each value naming its channel, by send_until, by trysend, or by a
 * select over send cases on several channels (distinct values: one must
 * fire).  Every select must return one value, from the channel of the case
 * it reports; what the burst left behind is drained; the ledger balances
 * at the end: no value taken twice, none lost. */
#define S3_CH 8

struct s3 {
    struct chk k;
    pthread_barrier_t bar;
    void *ch[S3_CH], *never_full, *never_empty;
    int wakers, selectors;
    bool stop; /* plain: thread 0 writes them before a barrier */
    int n, mode, extra;
    _Atomic bool released; /* after a failure: the channels are closed */
    _Atomic int in, out;
    struct ledger L;
    uint64_t rounds;
};

enum { S3_SEND, S3_SELECT_SEND, S3_BURST };

static void s3_selector(struct vthread *t, struct s3 *s) {
    const struct cpat_chan_ops *ops = s->k.ops;
    struct cpat_select_case cs[S3_CH + 3];
    int chan[S3_CH + 3];
    size_t m = 0;
    for (int j = 0; j < s->n; j++) {
        chan[m] = j;
        cs[m++] = (struct cpat_select_case){s->ch[j], CPAT_RECV, NULL};
    }
    uint64_t x = vrand(t);
    if (x & 1) {
        chan[m] = -1;
        cs[m++] = (struct cpat_select_case){NULL, CPAT_RECV, NULL};
    }
    if (x & 2) {
        chan[m] = -1;
        cs[m++] = (struct cpat_select_case){s->never_full, CPAT_SEND, cs};
    }
    if (x & 4) {
        chan[m] = -1;
        cs[m++] = (struct cpat_select_case){s->never_empty, CPAT_RECV, NULL};
    }
    for (size_t i = m; i > 1; i--) {
        size_t j = vrand(t) % i;
        struct cpat_select_case tc = cs[i - 1];
        int tj = chan[i - 1];
        cs[i - 1] = cs[j];
        chan[i - 1] = chan[j];
        cs[j] = tc;
        chan[j] = tj;
    }
    uint64_t d = (x >> 3) % 2 ? CPAT_FOREVER : after_us(FAR_US);
    size_t chosen = SIZE_MAX;
    atomic_fetch_add_explicit(&s->in, 1, memory_order_release);
    int e = ops->select(cs, m, d, &chosen);
    atomic_fetch_add_explicit(&s->out, 1, memory_order_release);
    if (s->released)
        return; /* after a failure, close let it go */
    if (e || chosen >= m || chan[chosen] < 0) {
        vfail(t->r,
              "a select blocked on %d channels returned %d with case %zu of %zu (%s; thread %d, "
              "cap %zu)",
              s->n, e, chosen, m,
              chosen >= m         ? "out of range"
              : chan[chosen] >= 0 ? "a recv on a shared channel"
              : !cs[chosen].ch    ? "a NULL channel"
                                  : "a case that can never be ready",
              t->index, s->k.ecap);
        return;
    }
    void *v = cs[chosen].value;
    struct vid id = unpack(v);
    if (id.thread >= 0 && (int)id.chan != chan[chosen]) {
        vfail(
            t->r,
            "a select woke for its case %zu (channel %d) but returned %p, a value sent on channel "
            "%u (thread %d, cap %zu)",
            chosen, chan[chosen], v, id.chan, t->index, s->k.ecap);
        return;
    }
    ledger_got(t, &s->L, id.thread, id.seq, v, "select", s->k.ecap);
}

/* One value (or, by select, one of several) from waker t. */
static void s3_deliver(struct vthread *t, struct s3 *s) {
    const struct cpat_chan_ops *ops = s->k.ops;
    uint64_t deadline = cpat_now_ns() + wake_budget_ns(t->r);
    if (s->mode == S3_SELECT_SEND) {
        struct cpat_select_case cs[3];
        uint64_t seq[3];
        size_t m = 1 + vrand(t) % (s->n < 3 ? (uint64_t)s->n : 3);
        int first = (int)(vrand(t) % (uint64_t)s->n);
        for (size_t i = 0; i < m; i++) {
            int j = (first + (int)i) % s->n;
            if ((seq[i] = ledger_make(&s->L, t->index)) == NO_SEQ)
                return;
            cs[i] =
                (struct cpat_select_case){s->ch[j], CPAT_SEND, pack(t->index, (unsigned)j, seq[i])};
        }
        size_t chosen = SIZE_MAX;
        int e = ops->select(cs, m, deadline, &chosen);
        if (e != 0 && e != ETIMEDOUT)
            vfail(t->r, "a select sending on %zu open channels returned %d (cap %zu)", m, e,
                  s->k.ecap);
        for (size_t i = 0; i < m; i++)
            ledger_say(&s->L, t->index, seq[i], e == 0 && i == chosen ? L_SENT : L_KEPT);
        return;
    }
    uint64_t seq = ledger_make(&s->L, t->index);
    if (seq == NO_SEQ)
        return;
    int j = (int)(vrand(t) % (uint64_t)s->n), e;
    void *v = pack(t->index, (unsigned)j, seq);
    if (s->mode == S3_BURST) {
        /* Into any channel with room: the selectors take one value each,
         * the burst's extra values wait for the drain. */
        for (int i = 0;; i++) {
            j = (j + 1) % s->n;
            v = pack(t->index, (unsigned)j, seq);
            if ((e = ops->trysend(s->ch[j], v)) != EAGAIN)
                break;
            if (i % s->n == 0 && cpat_now_ns() > deadline) {
                e = ETIMEDOUT;
                break;
            }
            if (i % s->n == 0)
                sched_yield();
        }
    } else {
        e = ops->send_until(s->ch[j], v, deadline);
    }
    if (e != 0 && e != ETIMEDOUT)
        vfail(t->r, "a send on an open channel returned %d (cap %zu)", e, s->k.ecap);
    ledger_say(&s->L, t->index, seq, e == 0 ? L_SENT : L_KEPT);
}

static void s3_thread(struct vthread *t) {
    struct s3 *s = t->arg;
    const struct cpat_chan_ops *ops = s->k.ops;
    for (;;) {
        if (t->index == 0) {
            s->stop = vtime_up(t) || vfailed(t->r);
            s->n = 2 + (int)(vrand(t) % (S3_CH - 1));
            s->mode = (int)(vrand(t) % (s->k.ecap ? 3 : 2));
            /* Room for the extra values once each selector took one. */
            uint64_t room = (uint64_t)s->n * s->k.ecap;
            s->extra = s->mode == S3_BURST ? (int)(vrand(t) % (room < 4 ? room + 1 : 4)) : 0;
            atomic_store(&s->in, 0);
            atomic_store(&s->out, 0);
        }
        pthread_barrier_wait(&s->bar);
        if (s->stop)
            return;
        if (t->index >= s->wakers) {
            s3_selector(t, s);
        } else {
            if (!await_ge(t->r, &s->in, s->selectors, 0))
                return;
            sleep_us(1000); /* let them park */
            for (int i = t->index; i < s->selectors + s->extra; i += s->wakers)
                s3_deliver(t, s);
            if (t->index == 0 && !await_ge(t->r, &s->out, s->selectors, wake_budget_ns(t->r))) {
                if (!vfailed(t->r)) {
                    size_t held = 0;
                    for (int j = 0; j < s->n; j++)
                        held += ops->len(s->ch[j]);
                    vfail(t->r,
                          "%d of %d selects blocked on %d channels returned within %.0f ms of "
                          "%d values being sent to them; the channels hold %zu (cap %zu): a "
                          "lost wake-up, or a select that took two values",
                          atomic_load(&s->out), s->selectors, s->n, wake_budget_ns(t->r) / 1e6,
                          s->selectors + s->extra, held, s->k.ecap);
                }
                s->released = true; /* let them go: they return EPIPE */
                for (int j = 0; j < S3_CH; j++)
                    ops->close(s->ch[j]);
            }
        }
        pthread_barrier_wait(&s->bar);
        if (t->index == 0 && !s->released) {
            for (int j = 0; j < S3_CH; j++) { /* a burst's leftovers */
                void *v;
                while (ops->tryrecv(s->ch[j], &v) == 0) {
                    struct vid id = unpack(v);
                    if (id.thread >= 0 && (int)id.chan != j)
                        vfail(t->r, "channel %d held %p, a value sent on channel %u", j, v,
                              id.chan);
                    ledger_got(t, &s->L, id.thread, id.seq, v, "tryrecv", s->k.ecap);
                }
            }
            s->rounds++;
            vtick(t);
        }
        if (s->released)
            return;
    }
}

static int s3_cap(struct chk *k, char *note, size_t notesz) {
    struct s3 *s = calloc(1, sizeof *s);
    s->k = *k;
    int threads = k->r->threads;
    s->wakers = threads < 4 ? 1 : threads / 4;
    s->selectors = threads - s->wakers;
    bool ok = true;
    for (int j = 0; j < S3_CH && ok; j++)
        ok = (s->ch[j] = chan_new(&s->k, k->cap)) != NULL;
    ok = ok && (s->never_full = chan_new(&s->k, 1)) && (s->never_empty = chan_new(&s->k, 1)) &&
         k->ops->trysend(s->never_full, s) == 0;
    k->ecap = s->k.ecap;
    if (ok) {
        ledger_init(&s->L, threads);
        pthread_barrier_init(&s->bar, NULL, (unsigned)threads);
        vthreads_run(k->r, threads, s3_thread, s);
        pthread_barrier_destroy(&s->bar);
        uint64_t sent = 0;
        if (!vfailed(k->r) && ledger_balance(k->r, &s->L, k->ecap, "S3", NULL, &sent, NULL))
            snprintf(note, notesz, "%" PRIu64 " rounds, %" PRIu64 " values", s->rounds, sent);
        ledger_free(&s->L);
    }
    for (int j = 0; j < S3_CH; j++)
        chan_free(&s->k, s->ch[j]);
    chan_free(&s->k, s->never_full);
    chan_free(&s->k, s->never_empty);
    free(s);
    return vfailed(k->r) ? VFAIL : VPASS;
}

static int s3_run(const struct vrun *r) {
    return over_caps(r, CPAT_CHAN_SELECT, "select", s3_cap);
}

/* ---- S4: a select that times out consumes nothing --------------------- */

/* First, selects whose cases are all on NULL channels: EAGAIN with
 * default, ETIMEDOUT (not early) with a deadline, EINVAL for no case at
 * all with CPAT_FOREVER.  Then the stream of S4: senders and receivers
 * select over three channels with default or a deadline close to now,
 * among NULL and never-ready cases; the ledger shows that what timed out
 * moved nothing. */
static bool s4_nulls(const struct vrun *r) {
    const struct cpat_chan_ops *ops = r->ops;
    struct cpat_select_case cs[3] = {
        {NULL, CPAT_RECV, NULL}, {NULL, CPAT_SEND, (void *)cs}, {NULL, CPAT_RECV, NULL}};
    size_t chosen = 7;
    int e;
    for (size_t n = 0; n <= 3; n++) {
        if ((e = ops->select(cs, n, CPAT_DEFAULT, &chosen)) != EAGAIN)
            return vfail(r,
                         "select with default over %zu NULL-channel cases returned %d, not EAGAIN",
                         n, e),
                   false;
        uint64_t d = after_us(2000);
        if ((e = ops->select(cs, n, d, &chosen)) != ETIMEDOUT)
            return vfail(r,
                         "select with a deadline 2 ms ahead over %zu NULL-channel cases returned "
                         "%d, not ETIMEDOUT",
                         n, e),
                   false;
        uint64_t now = cpat_now_ns();
        if (now < d)
            return vfail(r,
                         "select over %zu NULL-channel cases timed out %.1f us before its deadline",
                         n, (d - now) / 1e3),
                   false;
        if ((e = ops->select(cs, n, cpat_now_ns() - 1000, &chosen)) != ETIMEDOUT)
            return vfail(r,
                         "select with a past deadline over %zu NULL-channel cases returned %d, not "
                         "ETIMEDOUT",
                         n, e),
                   false;
    }
    if ((e = ops->select(cs, 0, CPAT_FOREVER, &chosen)) != EINVAL)
        return vfail(r, "select over no case with CPAT_FOREVER returned %d, not EINVAL", e), false;
    if (cs[1].value != (void *)cs)
        return vfail(r, "a select over NULL-channel cases changed a send case's value"), false;
    return true;
}

static int s4_cap(struct chk *k, char *note, size_t notesz) {
    return stream_cap(k, M_SELECT_TIMED, note, notesz);
}

static int s4_run(const struct vrun *r) {
    const struct cpat_chan_ops *ops = r->ops;
    if ((ops->flags & CPAT_CHAN_SELECT) && !s4_nulls(r))
        return VFAIL;
    return over_caps(r, CPAT_CHAN_SELECT, "select", s4_cap);
}

/* ---- the pattern ------------------------------------------------------ */

static const struct vcheck chan_checks[] = {
    {"C1", "FIFO per sender at capacities 0, 1, 7, 1024", c1_run, false, false},
    {"C2", "many senders and receivers: every value received exactly once", c2_run, false, false},
    {"C3", "send to full / recv from empty blocks; try-operations return EAGAIN at once", c3_run,
     false, false},
    {"C4", "after close: buffered values come out in order, then EPIPE", c4_run, false, false},
    {"C5", "close wakes every blocked receiver and sender; later sends and a second close fail",
     c5_run, false, false},
    {"C6", "a send happens-before the matching receive returns (plain payload)", c6_run, false,
     false},
    {"C7", "never more than cap values buffered", c7_run, false, false},
    {"C8", "a timed send/recv that times out never also transfers", c8_run, false, false},
    {"S1", "select never takes default while a case is ready", s1_run, false, false},
    {"S2", "select chooses uniformly among ready cases (chi-square)", s2_run, false, false},
    {"S3", "a blocked select wakes for whichever channel becomes ready and takes one value", s3_run,
     false, false},
    {"S4", "a select that times out (or has only NULL channels) consumes nothing", s4_run, false,
     false},
};

static size_t chan_impls(struct vimpl *out, size_t max, bool mutants) {
    size_t n = 0;
    if (mutants) {
        for (const struct vmutant_chan *mu = vmutants_chan; mu->ops && n < max; mu++)
            out[n++] = (struct vimpl){mu->ops->name, mu->ops, true, mu->tsan_only};
        return n;
    }
    for (const struct cpat_chan_ops *const *o = cpat_chan_registry; *o && n < max; o++)
        if (strcmp((*o)->kind, "null") != 0) /* null transfers nothing */
            out[n++] = (struct vimpl){(*o)->name, *o, false, false};
    return n;
}

const struct vpattern vpattern_chan = {"chan", chan_checks,
                                       sizeof chan_checks / sizeof chan_checks[0], chan_impls};
