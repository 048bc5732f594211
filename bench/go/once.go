package main

import "sync"

// once.*: sync.Once.
func onceBenches() []bench {
	return []bench{
		{workload: "once.fast", run: onceFast},
		{workload: "once.race", run: onceRace},
	}
}

// onceFast is BenchmarkOnce: one op = Do(f) on a Once that has already run.
func onceFast(b *B) {
	var once sync.Once
	f := func() {}
	once.Do(f)
	share := perGoroutine(b)
	parallel(b.T, func(int) {
		for i := int64(0); i < share; i++ {
			once.Do(f)
		}
	})
}

// onceRace: one op = one round in which all goroutines leave a spin barrier
// together and call Do(f) on a fresh Once; the next round's barrier waits for
// the last of them to return, so the time per op is barrier + race.
func onceRace(b *B) {
	f := func() {}
	br := barrier{n: int32(b.T)}
	// Round r uses slot r%2. Goroutine 0 refills slot (r+1)%2 after round r's
	// barrier: by then every goroutine has finished round r-1, the slot's last
	// user, and round r+1's barrier publishes the new Once to the others.
	var slots [2]*sync.Once
	slots[0] = new(sync.Once)
	rounds := b.N
	parallel(b.T, func(id int) {
		for r := int64(0); r < rounds; r++ {
			br.wait()
			if id == 0 {
				slots[(r+1)%2] = new(sync.Once)
			}
			slots[r%2].Do(f)
		}
	})
}
