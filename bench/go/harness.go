package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// bench is one workload family, e.g. chan.prodcons/go/cap:10. Its run
// function does b.N operations (or a few more: see B.SetOps) on b.T goroutines.
type bench struct {
	workload string // e.g. "chan.prodcons"
	param    string // e.g. "cap:10"; "" when the workload has none
	run      func(b *B)
	// points, when set, replaces the default points (one per -threads entry,
	// GOMAXPROCS = threads) by fixed ones.
	points func() []point
	// rusage adds the csw_per_op and cpu_per_op counters.
	rusage bool
}

// point is where a bench runs: goroutines (the threads:N of its name) and
// GOMAXPROCS.
type point struct{ threads, procs int }

func (bn *bench) baseName() string {
	if bn.param == "" {
		return bn.workload + "/go"
	}
	return bn.workload + "/go/" + bn.param
}

func (bn *bench) fullName(threads int) string {
	return fmt.Sprintf("%s/real_time/threads:%d", bn.baseName(), threads)
}

// B is what a workload sees: the op count to do, the goroutine count, and the
// means to report what it measured.
type B struct {
	N int64 // operations asked for
	T int   // goroutines

	ops      int64 // operations done (N unless SetOps changed it)
	running  bool
	start    time.Time
	ru0      rusage
	elapsed  time.Duration
	used     rusage // CPU and context switches while the timer ran
	counters map[string]float64
}

// SetOps records that the workload did n operations instead of b.N (it rounds
// b.N up to a whole share per goroutine or a whole batch).
func (b *B) SetOps(n int64) { b.ops = n }

// StartTimer and StopTimer bracket what is measured; the timer runs when the
// workload is called, as in Go's testing package.
func (b *B) StartTimer() {
	if !b.running {
		b.ru0 = getRusage()
		b.start = time.Now()
		b.running = true
	}
}

func (b *B) StopTimer() {
	if b.running {
		b.elapsed += time.Since(b.start)
		ru := getRusage()
		b.used.cpuNs += ru.cpuNs - b.ru0.cpuNs
		b.used.csw += ru.csw - b.ru0.csw
		b.running = false
	}
}

// ResetTimer forgets the setup done so far.
func (b *B) ResetTimer() {
	b.elapsed = 0
	b.used = rusage{}
	if b.running {
		b.ru0 = getRusage()
		b.start = time.Now()
	}
}

// Counter sets an extra counter of this run.
func (b *B) Counter(name string, v float64) { b.counters[name] = v }

// Fairness reports Jain's index and max/min over per-goroutine op counts.
func (b *B) Fairness(counts []int64) {
	var sum, sumSq float64
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, c := range counts {
		x := float64(c)
		sum += x
		sumSq += x * x
		if c < lo {
			lo = c
		}
		if c > hi {
			hi = c
		}
	}
	if lo < 1 {
		lo = 1
	}
	jain := 1.0
	if sumSq > 0 {
		jain = sum * sum / (float64(len(counts)) * sumSq)
	}
	b.Counter("fairness", jain)
	b.Counter("max_min", float64(hi)/float64(lo))
}

// Latency merges per-goroutine histograms into p50 p99 p999 max (ns).
func (b *B) Latency(hs []*Hist) {
	var all Hist
	for _, h := range hs {
		all.Merge(h)
	}
	b.Counter("p50", float64(all.Percentile(0.50)))
	b.Counter("p99", float64(all.Percentile(0.99)))
	b.Counter("p999", float64(all.Percentile(0.999)))
	b.Counter("max", float64(all.max))
}

type rusage struct{ cpuNs, csw int64 }

// getRusage reads the whole process's CPU time (user+system) and context
// switches (voluntary+involuntary).
func getRusage() rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return rusage{
		cpuNs: ru.Utime.Nano() + ru.Stime.Nano(),
		csw:   ru.Nvcsw + ru.Nivcsw,
	}
}

// runResult is one measured run.
type runResult struct {
	ops      int64
	elapsed  time.Duration
	used     rusage
	counters map[string]float64
}

func (r runResult) nsPerOp() float64  { return float64(r.elapsed.Nanoseconds()) / float64(r.ops) }
func (r runResult) cpuPerOp() float64 { return float64(r.used.cpuNs) / float64(r.ops) }

// runN runs the workload once with n ops, after a GC like Go's testing does.
func runN(bn *bench, pt point, n int64) runResult {
	runtime.GC()
	b := &B{N: n, T: pt.threads, ops: n, counters: map[string]float64{}}
	b.StartTimer()
	bn.run(b)
	b.StopTimer()
	r := runResult{ops: b.ops, elapsed: b.elapsed, used: b.used, counters: b.counters}
	if r.ops < 1 {
		r.ops = 1
	}
	r.counters["items_per_second"] = float64(r.ops) / r.elapsed.Seconds()
	if bn.rusage {
		r.counters["csw_per_op"] = float64(r.used.csw) / float64(r.ops)
		r.counters["cpu_per_op"] = r.cpuPerOp()
	}
	return r
}

// measure runs one point: the first repetition grows the op count the way Go's
// testing package does until a run lasts at least benchtime (the last run is
// the one reported); later repetitions reuse that op count, as Google
// Benchmark does.
func measure(bn *bench, pt point, benchtime time.Duration, reps int) []runResult {
	prev := runtime.GOMAXPROCS(pt.procs)
	defer runtime.GOMAXPROCS(prev)

	n := int64(1)
	r := runN(bn, pt, n)
	for r.elapsed < benchtime && n < 1e9 {
		last := n
		prevns := r.elapsed.Nanoseconds()
		if prevns <= 0 {
			prevns = 1
		}
		// Go's predictN: aim at benchtime, 20% over, at most 100x the last.
		n = benchtime.Nanoseconds() * r.ops / prevns
		n += n / 5
		n = min64(n, 100*last)
		n = max64(n, last+1)
		n = min64(n, 1e9)
		r = runN(bn, pt, n)
	}
	out := []runResult{r}
	for i := 1; i < reps; i++ {
		out = append(out, runN(bn, pt, n))
	}
	return out
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// aggregate is one of Google Benchmark's default statistics over repetitions.
type aggregate struct {
	name string
	unit string // "time" or "percentage"
	f    func([]float64) float64
}

var aggregates = []aggregate{
	{"mean", "time", statMean},
	{"median", "time", statMedian},
	{"stddev", "time", statStddev},
	{"cv", "percentage", statCV},
}

func statMean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// statMedian is Google Benchmark's: the mean below 3 samples, else the middle
// one or the mean of the two middle ones.
func statMedian(v []float64) float64 {
	if len(v) < 3 {
		return statMean(v)
	}
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// statStddev is the sample standard deviation (n-1), 0 for one sample.
func statStddev(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	m := statMean(v)
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)-1))
}

func statCV(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	m := statMean(v)
	if m == 0 {
		return 0
	}
	return statStddev(v) / m
}

// parallel runs fn(0..t-1) on t goroutines and returns when all have.
func parallel(t int, fn func(id int)) {
	var wg sync.WaitGroup
	wg.Add(t)
	for i := 0; i < t; i++ {
		go func(id int) {
			defer wg.Done()
			fn(id)
		}(i)
	}
	wg.Wait()
}

// perGoroutine splits b.N into equal shares for b.T goroutines (rounding up)
// and records the ops actually done.
func perGoroutine(b *B) int64 {
	share := (b.N + int64(b.T) - 1) / int64(b.T)
	b.SetOps(share * int64(b.T))
	return share
}

// spinWait spins until done() holds, yielding the P after a few tries so it
// works with fewer Ps than waiting goroutines.
func spinWait(done func() bool) {
	for i := 0; !done(); i++ {
		if i >= 64 {
			runtime.Gosched()
		}
	}
}

// barrier is a reusable spin barrier for n goroutines.
type barrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
}

func (br *barrier) wait() {
	g := br.gen.Load()
	if br.count.Add(1) == br.n {
		br.count.Store(0)
		br.gen.Add(1) // releases the others; pairs with their gen.Load
		return
	}
	spinWait(func() bool { return br.gen.Load() != g })
}

// Local work: a dependent chain of multiply-adds, calibrated at start so that
// workIters iterations take ~100 ns on this machine.
var (
	workIters int
	workSink  atomic.Uint64
)

//go:noinline
func workLoop(iters int, x uint64) uint64 {
	for i := 0; i < iters; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// work100 does ~100 ns of local work; callers add the results up and hand the
// sum to sink so the loop cannot be removed.
func work100(x uint64) uint64 { return workLoop(workIters, x) }

func sink(x uint64) { workSink.Add(x) }

// calibrateWork picks workIters: the best of several timings of a long loop.
func calibrateWork() {
	const iters = 2000000
	best := time.Duration(math.MaxInt64)
	for i := 0; i < 7; i++ {
		t0 := time.Now()
		sink(workLoop(iters, uint64(i)))
		if d := time.Since(t0); d < best {
			best = d
		}
	}
	perIter := float64(best.Nanoseconds()) / iters
	workIters = int(math.Round(100 / perIter))
	if workIters < 1 {
		workIters = 1
	}
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format, args...)
}
