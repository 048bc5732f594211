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
	s := new(contendedState)
	share := perGoroutine(b)
	snaps := make([]int64, b.T)
	parallel(b.T, func(id int) {
		var snap int64
		if work {
			snap = s.workLoop(share)
		} else {
			snap = s.loop(share)
		}
		snaps[id] = snap
	})
	b.Fairness(snaps)
}

// contendedState keeps the lock (and the counter it guards) and the finish
// flag on separate cache lines, so that checking the flag never touches the
// lock's line.
type contendedState struct {
	mu       sync.Mutex
	counter  int64 // guarded by mu
	_        [64 - 16]byte
	finished atomic.Bool
	_        [64 - 4]byte
}

// loop does share Lock+Unlock pairs and returns the op count at which it first
// saw finished set, raising it itself (and returning share) if it never did.
// Kept small so the hot loop keeps its few variables in registers.
func (s *contendedState) loop(share int64) int64 {
	i := int64(0)
	for ; i < share; i++ {
		if s.finished.Load() {
			break
		}
		s.mu.Lock()
		s.mu.Unlock()
	}
	snap := i
	for ; i < share; i++ {
		s.mu.Lock()
		s.mu.Unlock()
	}
	if snap == share {
		s.finished.Store(true)
	}
	return snap
}

// workLoop is loop with a counter increment inside and ~100 ns of local work
// after each critical section.
func (s *contendedState) workLoop(share int64) int64 {
	var acc uint64
	i := int64(0)
	for ; i < share; i++ {
		if s.finished.Load() {
			break
		}
		s.mu.Lock()
		s.counter++
		s.mu.Unlock()
		acc = work100(acc)
	}
	snap := i
	for ; i < share; i++ {
		s.mu.Lock()
		s.counter++
		s.mu.Unlock()
		acc = work100(acc)
	}
	if snap == share {
		s.finished.Store(true)
	}
	sink(acc)
	return snap
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
