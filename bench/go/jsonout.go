package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The output has the layout of Google Benchmark 1.7.1's JSON reporter: a
// context object, then one entry per repetition and, with repetitions > 1,
// mean/median/stddev/cv aggregates after the repetitions of each benchmark.
// Field order follows that reporter; counters (items_per_second included) come
// last in name order, as they live in a std::map there.

type report struct {
	Context    object     `json:"context"`
	Benchmarks []entryOut `json:"benchmarks"`
}

// field and object encode a JSON object whose keys keep their order.
type field struct {
	Key   string
	Value interface{}
}

type object []field

func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// entryOut is one element of "benchmarks".
type entryOut struct {
	Name                   string
	FamilyIndex            int
	PerFamilyInstanceIndex int
	RunName                string
	Aggregate              string // "" for a repetition
	AggregateUnit          string
	Repetitions            int
	RepetitionIndex        int
	Threads                int
	Iterations             int64
	RealTime               float64 // ns per op
	CPUTime                float64 // ns per op
	Counters               map[string]float64
}

func (e entryOut) MarshalJSON() ([]byte, error) {
	runType := "iteration"
	if e.Aggregate != "" {
		runType = "aggregate"
	}
	o := object{
		{"name", e.Name},
		{"family_index", e.FamilyIndex},
		{"per_family_instance_index", e.PerFamilyInstanceIndex},
		{"run_name", e.RunName},
		{"run_type", runType},
		{"repetitions", e.Repetitions},
	}
	if e.Aggregate == "" {
		o = append(o, field{"repetition_index", e.RepetitionIndex})
	}
	o = append(o, field{"threads", e.Threads})
	if e.Aggregate != "" {
		o = append(o, field{"aggregate_name", e.Aggregate}, field{"aggregate_unit", e.AggregateUnit})
	}
	o = append(o,
		field{"iterations", e.Iterations},
		field{"real_time", finite(e.RealTime)},
		field{"cpu_time", finite(e.CPUTime)},
		field{"time_unit", "ns"},
	)
	keys := make([]string, 0, len(e.Counters))
	for k := range e.Counters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o = append(o, field{k, finite(e.Counters[k])})
	}
	return json.Marshal(o)
}

// finite keeps NaN and Inf, which JSON cannot carry, out of the output.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// repetitionEntries turns the runs of one benchmark into its entries.
func repetitionEntries(name string, family, instance, threads int, runs []runResult) []entryOut {
	var out []entryOut
	for i, r := range runs {
		out = append(out, entryOut{
			Name: name, FamilyIndex: family, PerFamilyInstanceIndex: instance,
			RunName: name, Repetitions: len(runs), RepetitionIndex: i,
			Threads: threads, Iterations: r.ops,
			RealTime: r.nsPerOp(), CPUTime: r.cpuPerOp(), Counters: r.counters,
		})
	}
	if len(runs) < 2 {
		return out
	}
	reps := out
	column := func(get func(entryOut) float64) []float64 {
		v := make([]float64, len(reps))
		for i, e := range reps {
			v[i] = get(e)
		}
		return v
	}
	for _, a := range aggregates {
		agg := entryOut{
			Name: name + "_" + a.name, FamilyIndex: family, PerFamilyInstanceIndex: instance,
			RunName: name, Aggregate: a.name, AggregateUnit: a.unit,
			Repetitions: len(runs), Threads: threads, Iterations: int64(len(runs)),
			RealTime: a.f(column(func(e entryOut) float64 { return e.RealTime })),
			CPUTime:  a.f(column(func(e entryOut) float64 { return e.CPUTime })),
			Counters: map[string]float64{},
		}
		for k := range reps[0].Counters {
			agg.Counters[k] = a.f(column(func(e entryOut) float64 { return e.Counters[k] }))
		}
		out = append(out, agg)
	}
	return out
}

// cacheInfo is one element of the context's "caches".
type cacheInfo struct {
	Type       string `json:"type"`
	Level      int    `json:"level"`
	Size       int64  `json:"size"`
	NumSharing int    `json:"num_sharing"`
}

// machineContext builds the "context" object as Google Benchmark fills it on
// Linux, plus this peer's own string keys (sorted, like its custom context).
func machineContext(custom map[string]string) object {
	host, _ := os.Hostname()
	o := object{
		{"date", time.Now().Format("2006-01-02T15:04:05-07:00")},
		{"host_name", host},
		{"executable", os.Args[0]},
		{"num_cpus", runtime.NumCPU()},
		{"mhz_per_cpu", cpuMHz()},
		{"cpu_scaling_enabled", cpuScaling()},
		{"caches", caches()},
		{"load_avg", loadAvg()},
		{"library_build_type", "release"},
	}
	keys := make([]string, 0, len(custom))
	for k := range custom {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o = append(o, field{k, custom[k]})
	}
	return o
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// cpuMHz follows Google Benchmark: tsc_freq_khz, cpuinfo_max_freq, then
// /proc/cpuinfo's "cpu MHz"; 0 when none is there.
func cpuMHz() int64 {
	for _, p := range []string{
		"/sys/devices/system/cpu/cpu0/tsc_freq_khz",
		"/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq",
	} {
		if khz, err := strconv.ParseFloat(readTrim(p), 64); err == nil {
			return int64(math.Round(khz / 1000))
		}
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			if mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return int64(math.Round(mhz))
			}
		}
	}
	return 0
}

func cpuScaling() bool {
	g := readTrim("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
	return g != "" && g != "performance"
}

func caches() []cacheInfo {
	out := []cacheInfo{}
	for i := 0; ; i++ {
		dir := "/sys/devices/system/cpu/cpu0/cache/index" + strconv.Itoa(i) + "/"
		typ := readTrim(dir + "type")
		if typ == "" {
			return out
		}
		level, _ := strconv.Atoi(readTrim(dir + "level"))
		out = append(out, cacheInfo{
			Type: typ, Level: level,
			Size:       parseSize(readTrim(dir + "size")),
			NumSharing: countMapBits(readTrim(dir + "shared_cpu_map")),
		})
	}
}

// parseSize reads sysfs sizes such as "32K" or "1M".
func parseSize(s string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1024, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1024*1024, strings.TrimSuffix(s, "M")
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n * mult
}

// countMapBits counts the CPUs in a hex cpumask such as "00000003".
func countMapBits(m string) int {
	n := 0
	for _, c := range strings.ReplaceAll(m, ",", "") {
		v, err := strconv.ParseUint(string(c), 16, 8)
		if err == nil {
			for ; v != 0; v &= v - 1 {
				n++
			}
		}
	}
	return n
}

func loadAvg() []float64 {
	out := []float64{}
	for _, f := range strings.Fields(readTrim("/proc/loadavg")) {
		if len(out) == 3 {
			break
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			break
		}
		out = append(out, x)
	}
	return out
}

// writeReport writes the report, indented like Google Benchmark's.
func writeReport(path string, r report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if path == "" || path == "-" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
