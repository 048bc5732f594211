package main

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// context.*: the context package.
func contextBenches() []bench {
	out := []bench{{workload: "context.with_timeout", run: contextWithTimeout}}
	for _, d := range []int{1, 10, 100, 1000} {
		d := d
		out = append(out, bench{workload: "context.cancel_tree", param: fmt.Sprintf("depth:%d", d),
			run: func(b *B) { contextCancelTree(b, d) }})
	}
	return append(out,
		bench{workload: "context.common_parent_cancel", run: contextCommonParentCancel},
		bench{workload: "context.cancel_latency", run: contextCancelLatency},
		// wait:done: blocked on <-ctx.Done() alone, as the C twin of that name.
		bench{workload: "context.deadline_overshoot", param: "wait:done", run: contextDeadlineOvershoot},
		bench{workload: "context.process_with_timeout", param: "work_us:10/timeout_us:1000",
			run: func(b *B) { contextProcessWithTimeout(b, 100, time.Millisecond) }},
		bench{workload: "context.process_with_timeout", param: "work_us:1000/timeout_us:10",
			run: func(b *B) { contextProcessWithTimeout(b, 10000, 10*time.Microsecond) }},
	)
}

const (
	// BenchmarkWithTimeout/concurrency=40: timers already pending, spread
	// over the goroutines, and contexts made and cancelled in batches of 10.
	withTimeoutPending = 40
	withTimeoutBatch   = 10

	overshootTimeout = 100 * time.Microsecond // context.deadline_overshoot
)

// contextWithTimeout is BenchmarkWithTimeout/concurrency=40: one op = one
// WithTimeout(Background, 1h) and its cancel, done as 10 creations then 10
// cancels, with 40 other timeouts pending.
func contextWithTimeout(b *B) {
	b.StopTimer()
	pending := make([][]context.CancelFunc, b.T)
	parallel(b.T, func(id int) {
		for j := 0; j < withTimeoutPending/b.T; j++ {
			_, cancel := context.WithTimeout(context.Background(), time.Hour)
			pending[id] = append(pending[id], cancel)
		}
	})
	batches := (b.N + int64(b.T)*withTimeoutBatch - 1) / (int64(b.T) * withTimeoutBatch)
	b.SetOps(batches * withTimeoutBatch * int64(b.T))
	b.StartTimer()
	parallel(b.T, func(int) {
		var cancels [withTimeoutBatch]context.CancelFunc
		for n := int64(0); n < batches; n++ {
			for i := range cancels {
				_, cancels[i] = context.WithTimeout(context.Background(), time.Hour)
			}
			for _, cancel := range cancels {
				cancel()
			}
		}
	})
	b.StopTimer()
	for _, cs := range pending {
		for _, cancel := range cs {
			cancel()
		}
	}
}

// contextCancelTree is BenchmarkCancelTree/depth=d/Root=OpenCanceler: one op =
// WithCancel(Background), a chain of d WithCancel children under it, then
// cancelling the root. Each goroutine builds its own trees.
func contextCancelTree(b *B, depth int) {
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		for i := int64(0); i < share; i++ {
			root, cancel := context.WithCancel(context.Background())
			ctx, child := root, cancel
			for d := 0; d < depth; d++ {
				ctx, child = context.WithCancel(ctx)
			}
			_ = child // the chain is cancelled through its root
			cancel()
		}
	})
}

// divWork is the local work of BenchmarkCommonParentCancel, kept as is: 100
// dependent integer divisions (x stays 0).
func divWork(x int) int {
	for i := 0; i < 100; i++ {
		x /= x + 1
	}
	return x
}

// contextCommonParentCancel is BenchmarkCommonParentCancel: one op =
// WithCancel of a shared parent, 100 divisions, cancel, 100 divisions.
func contextCommonParentCancel(b *B) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		x := 0
		for i := int64(0); i < share; i++ {
			_, cancel := context.WithCancel(parent)
			x = divWork(x)
			cancel()
			x = divWork(x)
		}
		sink(uint64(x))
	})
}

// contextCancelLatency: goroutines in pairs (half the count, at least one
// pair). Per op the canceller makes a WithCancel context and hands it to its
// waiter, which announces itself and blocks in a select on a never-ready
// channel and ctx.Done(); the canceller waits for the announcement, yields
// once so the waiter can park, stamps the time and cancels; the waiter records
// its return minus the stamp and acknowledges. One op = one such cycle.
func contextCancelLatency(b *B) {
	pairs := b.T / 2
	if pairs < 1 {
		pairs = 1
	}
	share := (b.N + int64(pairs) - 1) / int64(pairs)
	b.SetOps(share * int64(pairs))
	hists := newHists(pairs)
	type pair struct {
		ctxs      chan context.Context
		acks      chan struct{}
		ready     atomic.Bool
		cancelled atomic.Int64 // nanotime just before cancel()
	}
	ps := make([]*pair, pairs)
	for i := range ps {
		ps[i] = &pair{ctxs: make(chan context.Context), acks: make(chan struct{})}
	}
	never := make(chan struct{})
	parallel(2*pairs, func(id int) {
		p := ps[id/2]
		if id%2 == 1 { // waiter
			h := hists[id/2]
			for ctx := range p.ctxs {
				p.ready.Store(true)
				select {
				case <-never:
				case <-ctx.Done():
				}
				h.Record(nanotime() - p.cancelled.Load())
				p.acks <- struct{}{}
			}
			return
		}
		for i := int64(0); i < share; i++ { // canceller
			ctx, cancel := context.WithCancel(context.Background())
			p.ctxs <- ctx
			spinWait(p.ready.Load)
			p.ready.Store(false)
			runtime.Gosched()
			p.cancelled.Store(nanotime())
			cancel()
			<-p.acks
		}
		close(p.ctxs)
	})
	b.Latency(hists)
}

// contextDeadlineOvershoot: one op = WithDeadline(Background, now+100us) and a
// wait on its Done; records how late Done fired past the deadline.
func contextDeadlineOvershoot(b *B) {
	hists := newHists(b.T)
	share := perGoroutine(b)
	parallel(b.T, func(id int) {
		h := hists[id]
		for i := int64(0); i < share; i++ {
			deadline := time.Now().Add(overshootTimeout)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			<-ctx.Done()
			h.Record(int64(time.Since(deadline)))
			cancel()
		}
	})
	b.Latency(hists)
}

// processWithTimeout is the seed's pattern: run work in a goroutine and return
// its result, or the context's error if the timeout comes first.
func processWithTimeout(ctx context.Context, timeout time.Duration, units int) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	result := make(chan uint64, 1)
	go func() {
		var acc uint64
		for i := 0; i < units; i++ {
			acc = work100(acc)
		}
		result <- acc
	}()
	select {
	case r := <-result:
		return r, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// contextProcessWithTimeout: one op = one processWithTimeout call (units of
// ~100 ns of work against the timeout: 10 us against 1 ms, the work wins;
// 1 ms against 10 us, the timeout does). Counter timeouts = the fraction of
// calls the timeout won.
func contextProcessWithTimeout(b *B, units int, timeout time.Duration) {
	share := perGoroutine(b)
	var timeouts atomic.Int64
	parallel(b.T, func(int) {
		var acc uint64
		for i := int64(0); i < share; i++ {
			r, err := processWithTimeout(context.Background(), timeout, units)
			if err != nil {
				timeouts.Add(1)
			}
			acc += r
		}
		sink(acc)
	})
	b.Counter("timeouts", float64(timeouts.Load())/float64(b.ops))
}
