package main

import (
	"sync"
	"sync/atomic"
)

// waitgroup.*: sync.WaitGroup.
func waitgroupBenches() []bench {
	return []bench{
		{workload: "waitgroup.add_done", run: waitgroupAddDone},
		{workload: "waitgroup.wait", run: waitgroupWait},
		{workload: "waitgroup.cycle", run: waitgroupCycle},
	}
}

// waitgroupAddDone is BenchmarkWaitGroupAddDone: one op = Add(1)+Done() on a
// shared group.
func waitgroupAddDone(b *B) {
	var wg sync.WaitGroup
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		for i := int64(0); i < share; i++ {
			wg.Add(1)
			wg.Done()
		}
	})
}

// waitgroupWait is BenchmarkWaitGroupWait: one op = Wait() on a zero group.
func waitgroupWait(b *B) {
	var wg sync.WaitGroup
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		for i := int64(0); i < share; i++ {
			wg.Wait()
		}
	})
}

// waitgroupCycle: goroutine 0 is the waiter, the others (at least one) are
// workers. One op = one cycle: the waiter does Add(workers) and bumps a
// generation word the workers spin on; each worker calls Done(); the worker
// whose Done is the last stamps the time just before it, and the waiter
// records Wait's return minus that stamp.
func waitgroupCycle(b *B) {
	workers := b.T - 1
	if workers < 1 {
		workers = 1
	}
	var (
		wg        sync.WaitGroup
		gen       atomic.Int64
		remaining atomic.Int32
		lastDone  atomic.Int64
	)
	var h Hist
	cycles := b.N
	parallel(workers+1, func(id int) {
		if id == 0 {
			for c := int64(1); c <= cycles; c++ {
				remaining.Store(int32(workers))
				wg.Add(workers)
				gen.Store(c) // releases the workers
				wg.Wait()
				h.Record(nanotime() - lastDone.Load())
			}
			return
		}
		for c := int64(1); c <= cycles; c++ {
			spinWait(func() bool { return gen.Load() >= c })
			if remaining.Add(-1) == 0 {
				lastDone.Store(nanotime())
			}
			wg.Done()
		}
	})
	b.Latency([]*Hist{&h})
}
