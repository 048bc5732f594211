package main

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// mutex.*: sync.Mutex. One op = one Lock+Unlock pair.
func mutexBenches() []bench {
	return []bench{
		{workload: "mutex.uncontended", run: mutexUncontended},
		{workload: "mutex.contended", run: func(b *B) { mutexContended(b, false) }, rusage: true},
		{workload: "mutex.work", run: func(b *B) { mutexContended(b, true) }, rusage: true},
		{workload: "mutex.oversubscribed", run: func(b *B) { mutexContended(b, false) }, rusage: true,
			points: func() []point {
				n := runtime.NumCPU()
				return []point{{threads: 4 * n, procs: n}}
			}},
		{workload: "mutex.handoff", run: mutexHandoff},
	}
}

// mutexUncontended is BenchmarkMutexUncontended: each goroutine locks its own
// padded mutex.
func mutexUncontended(b *B) {
	type paddedMutex struct {
		sync.Mutex
		_ [128]byte
	}
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		var mu paddedMutex
		for i := int64(0); i < share; i++ {
			mu.Lock()
			mu.Unlock()
		}
	})
}

// mutexContended is BenchmarkMutex (work=false) and BenchmarkMutexWork
// (work=true: the critical section increments a shared counter and ~100 ns of
// local work follows it). Every goroutine gets the same share of ops; the
// first to finish raises a flag, and each goroutine's count when it first sees
// the flag feeds the fairness counters.
func mutexContended(b *B, work bool) {
	var shared struct {
		mu      sync.Mutex
		counter int64
	}
	share := perGoroutine(b)
	var finished atomic.Bool
	snaps := make([]int64, b.T)
	parallel(b.T, func(id int) {
		snap := int64(-1)
		var acc uint64
		for i := int64(0); i < share; i++ {
			if snap < 0 && finished.Load() {
				snap = i
			}
			shared.mu.Lock()
			if work {
				shared.counter++
			}
			shared.mu.Unlock()
			if work {
				acc = work100(acc)
			}
		}
		if snap < 0 {
			finished.Store(true)
			snap = share
		}
		snaps[id] = snap
		sink(acc)
	})
	b.Fairness(snaps)
}

// mutexHandoff: goroutines lock one mutex in a loop; the holder stamps the
// time just before Unlock, and a goroutine whose Lock returns after a
// different goroutine's Unlock records now - stamp.
func mutexHandoff(b *B) {
	var mu sync.Mutex
	last := -1         // previous holder; guarded by mu
	var released int64 // nanotime just before the previous Unlock; guarded by mu
	hists := newHists(b.T)
	share := perGoroutine(b)
	parallel(b.T, func(id int) {
		h := hists[id]
		for i := int64(0); i < share; i++ {
			mu.Lock()
			if last != id && last >= 0 {
				h.Record(nanotime() - released)
			}
			last = id
			released = nanotime()
			mu.Unlock()
		}
	})
	b.Latency(hists)
}
