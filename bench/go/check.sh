#!/bin/bash
# Builds the Go peer, runs a quick sweep and checks its Google Benchmark JSON.
# usage: bench/go/check.sh BUILD_DIR
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
build=$(cd "$1" && pwd)
. "$here/goenv.sh"


pass=0
fail=0
check() { # description command...
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $what" >&2
	fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

json=$build/go-peer-check.json
if ! bin=$("$here/build.sh" "$build"); then
	fail=$((fail + 1))
	echo "FAIL: go build" >&2
	finish
fi
pass=$((pass + 1))
check "gofmt clean" test -z "$(cd "$here" && gofmt -l .)"
check "go vet clean" sh -c "cd '$here' && go vet ."

names=$("$bin" -list)
check "-list prints names" test -n "$names"
bad=$(printf '%s\n' "$names" | grep -vE '^[a-z]+\.[a-z_]+/go(/[a-z_]+:[a-z0-9]+)*$' || true)
check "-list names are <workload>/go[/<param>:<value>]" test -z "$bad"

if ! "$bin" -threads 1,2 -benchtime 2ms -repetitions 2 -out "$json" 2>"$build/go-peer-check.log"; then
	fail=$((fail + 1))
	echo "FAIL: quick run (see $build/go-peer-check.log)" >&2
	finish
fi
pass=$((pass + 1))
check "output is JSON" jq -e . "$json" >/dev/null

jqc() { # description jq-filter: the filter must yield true
	check "$1" jq -e "$2" "$json" >/dev/null
}
jqc "context has go_version" '.context.go_version | type == "string" and startswith("go")'
jqc "context has impl_kind peer" '.context.impl_kind == "peer"'
jqc "context has work_loop_iters_100ns" '.context.work_loop_iters_100ns | tonumber > 0'
jqc "context has Google Benchmark's keys" \
	'.context | has("date") and has("host_name") and has("executable") and has("num_cpus")
	 and has("mhz_per_cpu") and has("caches") and has("load_avg") and has("library_build_type")'

for n in $names; do
	jqc "$n ran" "any(.benchmarks[]; .run_name | startswith(\"$n/real_time/threads:\"))"
done

jqc "every entry has name, threads, real_time, cpu_time, time_unit ns" \
	'all(.benchmarks[]; (.name | type == "string") and (.threads | type == "number" and . >= 1)
	 and (.real_time | type == "number") and (.cpu_time | type == "number") and .time_unit == "ns")'
jqc "names end in /real_time/threads:N" \
	'all(.benchmarks[]; .run_name | test("^[a-z]+\\.[a-z_]+/go(/[a-z_]+:[a-z0-9]+)*/real_time/threads:[0-9]+$"))'
jqc "threads field matches the name" \
	'all(.benchmarks[]; . as $b | $b.run_name | endswith("/threads:\($b.threads)"))'
jqc "every repetition has real_time > 0 and items_per_second > 0" \
	'all(.benchmarks[] | select(.run_type == "iteration"); .real_time > 0 and .items_per_second > 0 and .iterations > 0)'
jqc "items_per_second = 1e9 / real_time" \
	'all(.benchmarks[] | select(.run_type == "iteration"); (.items_per_second * .real_time / 1e9 - 1) | fabs < 1e-6)'
jqc "two repetitions and four aggregates per benchmark" \
	'[.benchmarks[] | .run_name] | group_by(.) | all(length == 6)'
jqc "aggregates are mean, median, stddev, cv" \
	'[.benchmarks[] | select(.run_type == "aggregate") | .aggregate_name] | unique == ["cv", "mean", "median", "stddev"]'
jqc "aggregate units: cv percentage, others time" \
	'all(.benchmarks[] | select(.run_type == "aggregate"); .aggregate_unit == (if .aggregate_name == "cv" then "percentage" else "time" end))'
jqc "mutex.contended/work/oversubscribed carry fairness, max_min, csw_per_op, cpu_per_op" \
	'all(.benchmarks[] | select(.run_name | test("^mutex\\.(contended|work|oversubscribed)/")); has("fairness") and has("max_min") and has("csw_per_op") and has("cpu_per_op"))'
jqc "fairness within (0, 1]" \
	'all(.benchmarks[] | select(.run_type == "iteration" and has("fairness")); .fairness > 0 and .fairness <= 1.000001)'
jqc "latency workloads carry p50, p99, p999, max" \
	'all(.benchmarks[] | select(.run_name | test("^(mutex\\.handoff|waitgroup\\.cycle|chan\\.latency|pool\\.latency|context\\.(cancel_latency|deadline_overshoot))/")); has("p50") and has("p99") and has("p999") and has("max"))'
jqc "percentiles ordered" \
	'all(.benchmarks[] | select(.run_type == "iteration" and has("p50")); .p50 <= .p99 and .p99 <= .p999 and .p999 <= .max)'
jqc "mutex.oversubscribed runs 4 x num_cpus goroutines" \
	'.context.num_cpus as $n | all(.benchmarks[] | select(.run_name | startswith("mutex.oversubscribed/")); .threads == 4 * $n)'
jqc "family_index increases with the families" \
	'[.benchmarks[] | .family_index] | . == sort'

one=$("$bin" -threads 1 -benchtime 1ms -repetitions 1 -filter '^once\.fast/' 2>/dev/null | jq '.benchmarks | length')
check "-filter selects one benchmark" test "$one" = 1

finish
