package main

import (
	"fmt"
	"sync"
)

// rwlock.*: sync.RWMutex.
func rwlockBenches() []bench {
	out := []bench{{workload: "rwlock.uncontended", run: rwlockUncontended}}
	for _, pct := range []int{0, 1, 10, 50} {
		pct := pct
		out = append(out, bench{workload: "rwlock.mix", param: fmt.Sprintf("write_pct:%d", pct),
			run: func(b *B) { rwlockMix(b, pct) }})
	}
	for _, pct := range []int{1, 10} {
		pct := pct
		out = append(out, bench{workload: "rwlock.cache", param: fmt.Sprintf("write_pct:%d", pct),
			run: func(b *B) { rwlockCache(b, pct) }})
	}
	return out
}

// isWrite says whether a goroutine's i-th op (from 1) is a write: every
// (100/pct)-th op, as BenchmarkRWMutexWrite100/Write10 do with foo%ratio.
func isWrite(i int64, pct int) bool {
	return pct > 0 && i%int64(100/pct) == 0
}

// rwlockUncontended: one op = RLock+RUnlock of a padded lock private to the
// goroutine. (BenchmarkRWMutexUncontended's op is larger: RLock, RLock,
// RUnlock, RUnlock, Lock, Unlock.)
func rwlockUncontended(b *B) {
	type paddedRWMutex struct {
		sync.RWMutex
		_ [128]byte
	}
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		var rw paddedRWMutex
		for i := int64(0); i < share; i++ {
			rw.RLock()
			rw.RUnlock()
		}
	})
}

// rwlockMix is benchmarkRWMutex(b, 0, 100/pct): one op = Lock+Unlock or
// RLock+RUnlock of one shared lock, empty critical sections.
func rwlockMix(b *B, pct int) {
	var rw sync.RWMutex
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		for i := int64(1); i <= share; i++ {
			if isWrite(i, pct) {
				rw.Lock()
				rw.Unlock()
			} else {
				rw.RLock()
				rw.RUnlock()
			}
		}
	})
}

// rwlockCache is the seed's read-heavy cache: a map of 1024 int keys; one op
// = a lookup under RLock, or at pct% an insert (overwrite of one of the 1024
// keys, so the map keeps its size) under Lock. Keys come from a per-goroutine
// xorshift generator.
func rwlockCache(b *B, pct int) {
	const keys = 1024
	var cache struct {
		sync.RWMutex
		m map[int]int
	}
	cache.m = make(map[int]int, keys)
	for k := 0; k < keys; k++ {
		cache.m[k] = k
	}
	share := perGoroutine(b)
	parallel(b.T, func(id int) {
		rng := uint64(id)*0x9E3779B97F4A7C15 + 1
		hits := 0
		for i := int64(1); i <= share; i++ {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			k := int(rng % keys)
			if isWrite(i, pct) {
				cache.Lock()
				cache.m[k] = int(i)
				cache.Unlock()
			} else {
				cache.RLock()
				if _, ok := cache.m[k]; ok {
					hits++
				}
				cache.RUnlock()
			}
		}
		sink(uint64(hits))
	})
}
