package main

import (
	"context"
	"fmt"
	"sync/atomic"
)

// chan.*, select.*: Go channels and select. Values are ints.
func chanBenches() []bench {
	out := []bench{{workload: "chan.sync", run: chanSync,
		points: func() []point { return []point{{threads: 2, procs: 2}} }}}
	for _, c := range []int{0, 10, 100} {
		c := c
		out = append(out, bench{workload: "chan.prodcons", param: fmt.Sprintf("cap:%d", c),
			run: func(b *B) { chanProdCons(b, c, false) }})
	}
	for _, c := range []int{0, 10, 100} {
		c := c
		out = append(out, bench{workload: "chan.prodcons_work", param: fmt.Sprintf("cap:%d", c),
			run: func(b *B) { chanProdCons(b, c, true) }})
	}
	out = append(out,
		bench{workload: "chan.uncontended", param: "cap:100", run: chanUncontended},
		bench{workload: "chan.nonblocking", run: chanNonblocking},
	)
	for _, c := range []int{0, 100} {
		c := c
		out = append(out, bench{workload: "chan.latency", param: fmt.Sprintf("cap:%d", c),
			run: func(b *B) { chanLatency(b, c) }})
	}
	return append(out,
		bench{workload: "select.uncontended", run: selectUncontended},
		bench{workload: "select.prodcons", run: selectProdCons},
	)
}

// chanSync is BenchmarkChanSync: two goroutines ping-pong on an unbuffered
// channel; one op = one hand-off (a send matched by a receive).
func chanSync(b *B) {
	pairs := (b.N + 1) / 2
	b.SetOps(2 * pairs)
	c := make(chan int)
	parallel(2, func(id int) {
		for i := int64(0); i < pairs; i++ {
			if id == 0 {
				c <- 0
				<-c
			} else {
				<-c
				c <- 0
			}
		}
	})
}

// split divides t goroutines into senders and receivers: half each, the
// receivers getting the odd one, and at least one of each (t=1 runs 1+1).
func split(t int) (senders, receivers int) {
	senders = t / 2
	if senders < 1 {
		senders = 1
	}
	receivers = t - senders
	if receivers < 1 {
		receivers = 1
	}
	return senders, receivers
}

// prodCons runs senders and receivers around channel c: each sender runs
// sender(n) to send its share n of b.N values, the last sender to return
// closes c, and receiver r runs receiver(r) until it sees c closed.
func prodCons(b *B, c chan int64, sender func(n int64), receiver func(r int)) {
	senders, receivers := split(b.T)
	share := (b.N + int64(senders) - 1) / int64(senders)
	b.SetOps(share * int64(senders))
	var sending atomic.Int32
	sending.Store(int32(senders))
	parallel(senders+receivers, func(id int) {
		if id >= senders {
			receiver(id - senders)
			return
		}
		sender(share)
		if sending.Add(-1) == 0 {
			close(c)
		}
	})
}

// chanProdCons is BenchmarkChanProdCons{0,10,100} and, with work,
// BenchmarkChanProdConsWork*: one op = one value through a shared channel of
// that capacity; with work, ~100 ns of local work before each send and after
// each receive.
func chanProdCons(b *B, capacity int, work bool) {
	c := make(chan int64, capacity)
	prodCons(b, c,
		func(n int64) {
			var acc uint64
			for i := int64(0); i < n; i++ {
				if work {
					acc = work100(acc)
				}
				c <- 1
			}
			sink(acc)
		},
		func(int) {
			var acc uint64
			for range c {
				if work {
					acc = work100(acc)
				}
			}
			sink(acc)
		})
}

// chanUncontended is BenchmarkChanUncontended: each goroutine fills its own
// 100-slot channel, then drains it. One op = one value (send+receive).
func chanUncontended(b *B) {
	const capacity = 100
	batches := (b.N + int64(b.T)*capacity - 1) / (int64(b.T) * capacity)
	b.SetOps(batches * capacity * int64(b.T))
	parallel(b.T, func(int) {
		c := make(chan int, capacity)
		for n := int64(0); n < batches; n++ {
			for i := 0; i < capacity; i++ {
				c <- 0
			}
			for i := 0; i < capacity; i++ {
				<-c
			}
		}
	})
}

// chanNonblocking is BenchmarkChanNonblocking: one op = a failing non-blocking
// receive (select with default) on a shared empty channel.
func chanNonblocking(b *B) {
	c := make(chan int)
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		for i := int64(0); i < share; i++ {
			select {
			case <-c:
			default:
			}
		}
	})
}

// chanLatency: senders and receivers as in chan.prodcons, with no pause
// between sends; each value is the nanotime of its send and the receiver
// records now - value. One op = one value.
func chanLatency(b *B, capacity int) {
	c := make(chan int64, capacity)
	_, receivers := split(b.T)
	hists := newHists(receivers)
	prodCons(b, c,
		func(n int64) {
			for i := int64(0); i < n; i++ {
				c <- nanotime()
			}
		},
		func(r int) {
			h := hists[r]
			for sent := range c {
				h.Record(nanotime() - sent)
			}
		})
	b.Latency(hists)
}

// selectUncontended is BenchmarkSelectUncontended: each goroutine has two
// 1-slot channels with one value between them; one op = a 2-case select that
// receives it and a send that moves it to the other channel.
func selectUncontended(b *B) {
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		c1 := make(chan int, 1)
		c2 := make(chan int, 1)
		c1 <- 0
		for i := int64(0); i < share; i++ {
			select {
			case <-c1:
				c2 <- 0
			case <-c2:
				c1 <- 0
			}
		}
	})
}

// selectProdCons is BenchmarkSelectProdCons with a context's Done channel in
// place of its timer and close channels: senders and receivers around a
// 128-slot channel, ~100 ns of local work per value on each side, every send
// and receive a select that also watches ctx.Done(). One op = one value.
func selectProdCons(b *B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := make(chan int64, 128)
	prodCons(b, c,
		func(n int64) {
			var acc uint64
			for i := int64(0); i < n; i++ {
				acc = work100(acc)
				select {
				case c <- 1:
				case <-ctx.Done():
					return
				}
			}
			sink(acc)
		},
		func(int) {
			var acc uint64
			for {
				select {
				case _, ok := <-c:
					if !ok {
						sink(acc)
						return
					}
				case <-ctx.Done():
					return
				}
				acc = work100(acc)
			}
		})
}
