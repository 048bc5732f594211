// Command go-peer runs cpat's workloads (shared/WORKLOADS.md) on Go's own
// sync, chan, select and context, and writes Google Benchmark 1.7.1 JSON, so
// every C figure has a Go twin measured the same way.
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// benches lists every family in output order.
func benches() []bench {
	var all []bench
	for _, group := range [][]bench{
		mutexBenches(), rwlockBenches(), onceBenches(), waitgroupBenches(),
		chanBenches(), contextBenches(), poolBenches(),
	} {
		all = append(all, group...)
	}
	return all
}

func main() {
	threadsFlag := flag.String("threads", "1,2,3,4", "comma-separated goroutine counts; GOMAXPROCS = count")
	benchtime := flag.Duration("benchtime", 500*time.Millisecond, "minimum duration of a measured run")
	reps := flag.Int("repetitions", 5, "runs per benchmark; >1 adds mean/median/stddev/cv")
	filter := flag.String("filter", "", "regexp on full benchmark names (…/real_time/threads:N)")
	list := flag.Bool("list", false, "print the benchmark names (without /real_time/threads:N) and exit")
	out := flag.String("out", "", "JSON output file (default stdout)")
	flag.Parse()

	threads, err := parseThreads(*threadsFlag)
	if err != nil || *reps < 1 {
		fmt.Fprintln(os.Stderr, "go-peer: bad -threads or -repetitions:", err)
		os.Exit(2)
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-peer: bad -filter:", err)
		os.Exit(2)
	}
	all := benches()
	if *list {
		for i := range all {
			fmt.Println(all[i].baseName())
		}
		return
	}

	calibrateWork()
	numCPU := runtime.NumCPU()
	rep := report{Context: machineContext(map[string]string{
		"go_version":            runtime.Version(),
		"gomaxprocs":            "threads:N runs with GOMAXPROCS=N, except mutex.oversubscribed (GOMAXPROCS=" + strconv.Itoa(numCPU) + ") and chan.sync (2)",
		"impl_kind":             "peer",
		"work_loop_iters_100ns": strconv.Itoa(workIters),
	})}
	rep.Benchmarks = []entryOut{}

	family := 0
	for i := range all {
		bn := &all[i]
		pts := defaultPoints(threads)
		if bn.points != nil {
			pts = bn.points()
		}
		// Google Benchmark numbers families and instances among those selected.
		instance := 0
		for _, pt := range pts {
			name := bn.fullName(pt.threads)
			if !re.MatchString(name) {
				continue
			}
			runs := measure(bn, pt, *benchtime, *reps)
			rep.Benchmarks = append(rep.Benchmarks, repetitionEntries(name, family, instance, pt.threads, runs)...)
			instance++
			ns := make([]float64, len(runs))
			for j, r := range runs {
				ns[j] = r.nsPerOp()
			}
			logf("%-55s %10d ops  median %12.1f ns/op\n", name, runs[0].ops, statMedian(ns))
		}
		if instance > 0 {
			family++
		}
	}
	if err := writeReport(*out, rep); err != nil {
		fmt.Fprintln(os.Stderr, "go-peer:", err)
		os.Exit(1)
	}
}

func parseThreads(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a thread count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func defaultPoints(threads []int) []point {
	pts := make([]point, len(threads))
	for i, t := range threads {
		pts[i] = point{threads: t, procs: t}
	}
	return pts
}
