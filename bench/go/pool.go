package main

import (
	"fmt"
	"sync"
)

// pool.*, fan.*: the seed's worker pool and fan-out/fan-in pipeline.
func poolBenches() []bench {
	var out []bench
	for _, ns := range []int{0, 1000, 10000} {
		ns := ns
		out = append(out, bench{workload: "pool.throughput", param: fmt.Sprintf("job_ns:%d", ns),
			run: func(b *B) { poolThroughput(b, ns/100) }})
	}
	return append(out,
		bench{workload: "pool.latency", param: "job_ns:1000", run: func(b *B) { poolLatency(b, 10) }},
		bench{workload: "fan.pipeline", run: fanPipeline},
	)
}

const poolQueue = 100 // capacity of the pool's jobs and results channels

type job struct {
	id      int64
	units   int   // ~100 ns of work each
	created int64 // nanotime at submit (pool.latency)
}

type result struct {
	job job
	sum uint64
}

// pool is the seed's worker pool: workers goroutines read jobs from one
// channel, do them, and send results to another; close(jobs) stops them, and
// results is closed once the last worker has returned.
type pool struct {
	jobs    chan job
	results chan result
}

func startPool(workers int) *pool {
	p := &pool{jobs: make(chan job, poolQueue), results: make(chan result, poolQueue)}
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for j := range p.jobs {
				var acc uint64
				for i := 0; i < j.units; i++ {
					acc = work100(acc)
				}
				p.results <- result{job: j, sum: acc}
			}
		}()
	}
	go func() { wg.Wait(); close(p.results) }()
	return p
}

// poolThroughput: b.T workers; one goroutine submits b.N jobs of the given
// work and closes the pool, the benchmark goroutine takes every result. One op
// = one job from submit to its result being taken. Pool start and stop are
// inside the measured time.
func poolThroughput(b *B, units int) {
	p := startPool(b.T)
	go func() {
		for i := int64(0); i < b.N; i++ {
			p.jobs <- job{id: i, units: units}
		}
		close(p.jobs)
	}()
	var acc uint64
	for r := range p.results {
		acc += r.sum
	}
	sink(acc)
}

// poolLatency: b.T workers and b.T jobs in flight (one per worker): the
// benchmark goroutine submits b.T jobs, then a new one for every result it
// takes, recording each job's submit-to-result-taken time. One op = one job.
func poolLatency(b *B, units int) {
	p := startPool(b.T)
	var h Hist
	var submitted int64
	submit := func() {
		p.jobs <- job{id: submitted, units: units, created: nanotime()}
		submitted++
	}
	for submitted < b.N && submitted < int64(b.T) {
		submit()
	}
	for taken := int64(0); taken < b.N; taken++ {
		r := <-p.results
		h.Record(nanotime() - r.job.created)
		if submitted < b.N {
			submit()
		}
	}
	close(p.jobs)
	for range p.results {
	}
	b.Latency([]*Hist{&h})
}

// fanOut starts n workers that read from in and each write to their own
// channel, closed when in is.
func fanOut(in <-chan int64, n int) []<-chan int64 {
	outs := make([]<-chan int64, n)
	for i := range outs {
		out := make(chan int64)
		outs[i] = out
		go func() {
			for v := range in {
				out <- v * v
			}
			close(out)
		}()
	}
	return outs
}

// fanIn merges the channels into one, closed after all of them are.
func fanIn(ins []<-chan int64) <-chan int64 {
	out := make(chan int64)
	var wg sync.WaitGroup
	wg.Add(len(ins))
	for _, in := range ins {
		in := in
		go func() {
			defer wg.Done()
			for v := range in {
				out <- v
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

// fanPipeline is the seed's pipeline: source -> fan_out(b.T) -> fan_in ->
// sink, all channels unbuffered. One op = one value through all of it.
func fanPipeline(b *B) {
	src := make(chan int64)
	go func() {
		for i := int64(0); i < b.N; i++ {
			src <- i
		}
		close(src)
	}()
	var acc uint64
	for v := range fanIn(fanOut(src, b.T)) {
		acc += uint64(v)
	}
	sink(acc)
}
