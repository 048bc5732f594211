/* A request handler in Go's style, with cpat contexts, line for line: the
 * request's context carries its id (with_value) down through two service
 * layers, serve and fetch, that each wait on channels with the context;
 * the caller cancels the request midway and every layer stops.  The Go it
 * translates:
 *
 *   type key int
 *   const requestIDKey key = 0
 *
 *   // store stands for a backend: a row every 5 ms, until it is shut down.
 *   func store(ctx context.Context, rows chan<- int) {
 *       for i := 1; ; i++ {
 *           time.Sleep(5 * time.Millisecond)
 *           select {
 *           case rows <- i:
 *           case <-ctx.Done():
 *               return
 *           }
 *       }
 *   }
 *   // fetch is the data layer: the next row, or the request's end.
 *   func fetch(ctx context.Context, rows <-chan int) (int, error) {
 *       id := ctx.Value(requestIDKey).(string)
 *       select {
 *       case row := <-rows:
 *           fmt.Printf("    fetch   [%s]: row %d\n", id, row)
 *           return row, nil
 *       case <-ctx.Done():
 *           fmt.Printf("    fetch   [%s]: %v\n", id, ctx.Err())
 *           return 0, ctx.Err()
 *       }
 *   }
 *   // serve is the service layer: a reply for each row, until the request ends.
 *   func serve(ctx context.Context, rows <-chan int, replies chan<- int) error {
 *       id := ctx.Value(requestIDKey).(string)
 *       for {
 *           row, err := fetch(ctx, rows)
 *           if err != nil {
 *               fmt.Printf("  serve     [%s]: fetch failed: %v\n", id, err)
 *               return err
 *           }
 *           fmt.Printf("  serve     [%s]: reply %d\n", id, row*row)
 *           select {
 *           case replies <- row * row:
 *           case <-ctx.Done():
 *               fmt.Printf("  serve     [%s]: reply dropped: %v\n", id, ctx.Err())
 *               return ctx.Err()
 *           }
 *       }
 *   }
 *   func main() {
 *       storeCtx, shutdown := context.WithCancel(context.Background())
 *       rows := make(chan int)
 *       go store(storeCtx, rows)
 *
 *       ctx, cancel := context.WithCancel(context.Background())
 *       ctx = context.WithValue(ctx, requestIDKey, "req-42")
 *       replies := make(chan int)
 *       errc := make(chan error, 1)
 *       go func() { errc <- serve(ctx, rows, replies) }()
 *       for i := 0; i < 3; i++ {
 *           fmt.Printf("handler     [%s]: got %d\n", ctx.Value(requestIDKey), <-replies)
 *       }
 *       fmt.Println("handler: the client went away: cancel")
 *       cancel()
 *       fmt.Println("handler: serve returned:", <-errc)
 *       shutdown()
 *   }
 *
 * A context handed to another thread is a reference of that thread's own
 * (cpat_ctx_ref, dropped with cpat_ctx_unref when it is done); the owner's
 * `cancel` is cpat_ctx_cancel and, once nobody needs the context,
 * cpat_ctx_release (Go's garbage collector).  A select of one channel and
 * ctx.Done() is cpat_ctx_send / cpat_ctx_recv: 0, or the context's Err.
 * A key is compared by address, as Go compares a key's type and value.
 * The goroutines are joinable threads: main joins them before it destroys
 * the channels they use (Go's collector would). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chan/futex.h"
#include "cpat/context.h"
#include "cpat/error.h"

typedef struct cpat_chan_futex chan;

static const int request_id_key; /* its address is the key */
static int bad;                  /* a layer saw something it should not have */

static chan *make_chan(size_t cap) {
    chan *c;
    if (cpat_chan_futex_make(&c, cap))
        abort();
    return c;
}

static pthread_t go(void *(*fn)(void *), void *arg) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg))
        abort();
    return t;
}

/* The request id, as each layer reads it. */
static const char *request_id(cpat_ctx *ctx) {
    const char *id = cpat_ctx_value(ctx, &request_id_key);
    if (!id || strcmp(id, "req-42") != 0)
        bad = 1;
    return id ? id : "?";
}

struct store_args {
    cpat_ctx *ctx; /* the thread's own reference */
    chan *rows;
};
static void *store(void *p) {
    struct store_args *a = p;
    for (intptr_t i = 1;; i++) {
        struct timespec ms5 = {0, 5000000};
        nanosleep(&ms5, NULL);
        if (cpat_ctx_send(a->ctx, a->rows, (void *)i)) /* ctx.Done(): shut down */
            break;
    }
    cpat_ctx_unref(a->ctx);
    return NULL;
}

/* Returns 0 and the row in *row, or the context's Err. */
static int fetch(cpat_ctx *ctx, chan *rows, intptr_t *row) {
    const char *id = request_id(ctx);
    void *v;
    int err = cpat_ctx_recv(ctx, rows, &v);
    if (err) {
        printf("    fetch   [%s]: %s\n", id, cpat_strerror(err));
        return err;
    }
    *row = (intptr_t)v;
    printf("    fetch   [%s]: row %ld\n", id, (long)*row);
    return 0;
}

static int serve(cpat_ctx *ctx, chan *rows, chan *replies) {
    const char *id = request_id(ctx);
    for (;;) {
        intptr_t row;
        int err = fetch(ctx, rows, &row);
        if (err) {
            printf("  serve     [%s]: fetch failed: %s\n", id, cpat_strerror(err));
            return err;
        }
        printf("  serve     [%s]: reply %ld\n", id, (long)(row * row));
        if ((err = cpat_ctx_send(ctx, replies, (void *)(row * row)))) {
            printf("  serve     [%s]: reply dropped: %s\n", id, cpat_strerror(err));
            return err;
        }
    }
}

struct serve_args {
    cpat_ctx *ctx; /* the thread's own reference */
    chan *rows, *replies, *errc;
};
static void *serve_body(void *p) { /* go func() { errc <- serve(ctx, rows, replies) }() */
    struct serve_args *a = p;
    int err = serve(a->ctx, a->rows, a->replies);
    cpat_chan_futex_send(a->errc, (void *)(intptr_t)err);
    cpat_ctx_unref(a->ctx);
    return NULL;
}

int main(void) {
    cpat_ctx *bg = cpat_ctx_background(&cpat_context_futex_ops), *store_ctx, *req, *ctx;
    if (cpat_ctx_with_cancel(bg, &store_ctx))
        abort();
    chan *rows = make_chan(0);
    struct store_args sa = {cpat_ctx_ref(store_ctx), rows};
    pthread_t store_thread = go(store, &sa);

    if (cpat_ctx_with_cancel(bg, &req) ||
        cpat_ctx_with_value(req, &request_id_key, (void *)"req-42", &ctx))
        abort();
    chan *replies = make_chan(0), *errc = make_chan(1);
    struct serve_args va = {cpat_ctx_ref(ctx), rows, replies, errc};
    pthread_t serve_thread = go(serve_body, &va);
    for (intptr_t i = 1; i <= 3; i++) {
        void *v;
        if (cpat_chan_futex_recv(replies, &v) || (intptr_t)v != i * i)
            bad = 1;
        printf("handler     [%s]: got %ld\n", request_id(ctx), (long)(intptr_t)v);
    }
    printf("handler: the client went away: cancel\n");
    cpat_ctx_cancel(req); /* cancel() */
    void *v;
    cpat_chan_futex_recv(errc, &v);
    int err = (int)(intptr_t)v;
    printf("handler: serve returned: %s\n", cpat_strerror(err));
    if (err != ECANCELED || cpat_ctx_err(ctx) != ECANCELED)
        bad = 1;
    cpat_ctx_cancel(store_ctx); /* shutdown() */

    pthread_join(serve_thread, NULL);
    pthread_join(store_thread, NULL);
    cpat_ctx_release(ctx);
    cpat_ctx_release(req);
    cpat_ctx_release(store_ctx);
    cpat_chan_futex_destroy(rows);
    cpat_chan_futex_destroy(replies);
    cpat_chan_futex_destroy(errc);
    return bad || cpat_ctx_live() != 0;
}
