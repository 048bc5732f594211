#!/bin/bash
# Runs the Go standard library's own benchmarks, then this harness's twins of
# them at the same GOMAXPROCS, and prints one table: median ns/op of each
# (COUNT runs), and harness/stdlib.
#
# usage: bench/go/stdlib_compare.sh [BUILD_DIR]
#   env: BENCHTIME (default 0.5s, both sides), COUNT (default 5)
#
# Go's parallel benchmarks report ns per op over all goroutines (b.N ops in
# total), which is the harness's real_time (1/items_per_second). Where the
# standard library's op is a batch of the workload's op, its figure is divided
# by the batch size (column "div").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(mktemp -d)}
mkdir -p "$build"
build=$(cd "$build" && pwd)
BENCHTIME=${BENCHTIME:-0.5s}
COUNT=${COUNT:-5}

# Never touch the network; keep the build cache writable.
export GOPROXY=off GOFLAGS= GO111MODULE=
if [ -z "${GOCACHE:-}" ] && ! { [ -n "${HOME:-}" ] && [ -w "$HOME" ]; }; then
	export GOCACHE=$build/gocache
fi
(cd "$here" && go build -o "$build/go-peer" .)
goroot=$(go env GOROOT)

# pkg | stdlib benchmark (as go test prints it, without -P) | harness name |
# div | GOMAXPROCS:harness threads pairs | note
pairs='
sync|MutexUncontended|mutex.uncontended/go|1|1:1 2:2|
sync|Mutex|mutex.contended/go|1|1:1 2:2|
sync|MutexWork|mutex.work/go|1|1:1 2:2|
sync|MutexSlack|mutex.oversubscribed/go|1|2:8|stdlib 10 goroutines per P, harness 4
sync|RWMutexUncontended|rwlock.uncontended/go|1|1:1 2:2|stdlib op = 2 RLock/RUnlock + Lock/Unlock; harness op = RLock/RUnlock
sync|RWMutexWrite100|rwlock.mix/go/write_pct:1|1|1:1 2:2|
sync|RWMutexWrite10|rwlock.mix/go/write_pct:10|1|1:1 2:2|
sync|Once|once.fast/go|1|1:1 2:2|
sync|WaitGroupAddDone|waitgroup.add_done/go|1|1:1 2:2|
sync|WaitGroupWait|waitgroup.wait/go|1|1:1 2:2|
sync|WaitGroupActuallyWait|waitgroup.cycle/go|1|1:1 2:2|not the same op: stdlib spawns a goroutine per op
runtime|ChanSync|chan.sync/go|1|2:2|
runtime|ChanProdCons0|chan.prodcons/go/cap:0|1|1:1 2:2|
runtime|ChanProdCons10|chan.prodcons/go/cap:10|1|1:1 2:2|
runtime|ChanProdCons100|chan.prodcons/go/cap:100|1|1:1 2:2|
runtime|ChanProdConsWork0|chan.prodcons_work/go/cap:0|1|1:1 2:2|
runtime|ChanProdConsWork10|chan.prodcons_work/go/cap:10|1|1:1 2:2|
runtime|ChanProdConsWork100|chan.prodcons_work/go/cap:100|1|1:1 2:2|
runtime|ChanUncontended|chan.uncontended/go/cap:100|100|1:1 2:2|stdlib op = 100 values
runtime|ChanNonblocking|chan.nonblocking/go|1|1:1 2:2|
runtime|SelectUncontended|select.uncontended/go|1|1:1 2:2|
runtime|SelectProdCons|select.prodcons/go|1|1:1 2:2|
context|WithTimeout/concurrency=40|context.with_timeout/go|10|1:1 2:2|stdlib op = 10 contexts
context|CancelTree/depth=1/Root=OpenCanceler|context.cancel_tree/go/depth:1|1|1:1|
context|CancelTree/depth=10/Root=OpenCanceler|context.cancel_tree/go/depth:10|1|1:1|
context|CancelTree/depth=100/Root=OpenCanceler|context.cancel_tree/go/depth:100|1|1:1|
context|CancelTree/depth=1000/Root=OpenCanceler|context.cancel_tree/go/depth:1000|1|1:1|
context|CommonParentCancel|context.common_parent_cancel/go|1|1:1 2:2|
'

std=$build/stdlib.txt
: >"$std"
run_std() { # pkg cpus bench-regexp
	echo "== go test $1 -cpu $2 -bench '$3'" >&2
	(cd "$goroot/src/$1" && go test -run '^$' -count "$COUNT" -benchtime "$BENCHTIME" \
		-cpu "$2" -bench "$3") | tee -a "$std" | grep '^Benchmark' >&2
}
run_std sync 1,2 '^Benchmark(MutexUncontended|Mutex|MutexWork|MutexSlack|RWMutexUncontended|RWMutexWrite100|RWMutexWrite10|Once|WaitGroupAddDone|WaitGroupWait|WaitGroupActuallyWait)$'
run_std runtime 1,2 '^Benchmark(ChanSync|ChanProdCons(Work)?(0|10|100)|ChanUncontended|ChanNonblocking|SelectUncontended|SelectProdCons)$'
run_std context 1,2 '^BenchmarkWithTimeout$/^concurrency=40$'
run_std context 1 '^BenchmarkCancelTree$/^depth=/^Root=OpenCanceler$'
run_std context 1,2 '^BenchmarkCommonParentCancel$'

names=$(echo "$pairs" | awk -F'|' 'NF > 1 { gsub(/\./, "\\.", $3); printf "%s%s", sep, $3; sep = "|" }')
echo "== go-peer -threads 1,2 -benchtime $BENCHTIME -repetitions $COUNT" >&2
"$build/go-peer" -threads 1,2 -benchtime "$BENCHTIME" -repetitions "$COUNT" \
	-filter "^($names)/real_time/" -out "$build/harness.json"

# median of the ns/op column of every "BenchmarkNAME[-P]" line
std_median() { # name procs
	local want="Benchmark$1"
	[ "$2" = 1 ] || want="$want-$2"
	awk -v w="$want" '$1 == w && $4 == "ns/op" { print $3 }' "$std" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
harness_median() { # run_name
	jq -r --arg n "$1" '[.benchmarks[] | select(.run_name == $n and .aggregate_name == "median") | .real_time][0] // "-"' "$build/harness.json"
}

printf '\n%-34s %-4s %-44s %12s %12s %7s  %s\n' "stdlib benchmark" "P" "harness" "stdlib ns/op" "harness" "ratio" "note"
echo "$pairs" | while IFS='|' read -r pkg sname hname div points note; do
	[ -n "$pkg" ] || continue
	for pt in $points; do
		procs=${pt%%:*}
		threads=${pt##*:}
		s=$(std_median "$sname" "$procs")
		h=$(harness_median "$hname/real_time/threads:$threads")
		awk -v sn="$sname" -v p="$procs" -v hn="$hname/threads:$threads" -v s="$s" -v d="$div" -v h="$h" -v note="$note" 'BEGIN {
			if (s == "-" || h == "-") { printf "%-34s %-4s %-44s %12s %12s %7s  %s\n", sn, p, hn, s, h, "-", note; exit }
			s = s / d; r = h / s
			flag = (r > 1.2 || r < 1 / 1.2) ? " *" : ""
			printf "%-34s %-4s %-44s %12.2f %12.2f %7.2f%s  %s\n", sn, p, hn, s, h, r, flag, note
		}'
	done
done
echo "(medians of $COUNT; ratio = harness/stdlib; * = outside 1.2x; stdlib divided by div where its op is a batch)"
