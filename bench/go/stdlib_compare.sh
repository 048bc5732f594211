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

. "$here/goenv.sh"
"$here/build.sh" "$build" >/dev/null
goroot=$(go env GOROOT)

# pkg | stdlib benchmark (as go test prints it, without -P) | harness name |
# div | GOMAXPROCS:harness threads pairs | note
pairs='
sync|MutexUncontended|mutex.uncontended/go|1|1:1 2:2|
sync|Mutex|mutex.contended/go|1|1:1 2:2|
sync|MutexWork|mutex.work/go|1|1:1 2:2|stdlib work loop is dead code (empty 100-step loop); harness does ~100 ns of real work
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

# Each pair runs back to back, one repetition of each side in turn (stdlib,
# harness, stdlib, ...), so that both see the same machine: on a shared VM the
# speed drifts by tens of percent over minutes. Both sides grow their op count
# anew in every repetition.
for pkg in sync runtime context; do
	[ -x "$build/$pkg.test" ] || go test -c -o "$build/$pkg.test" "$pkg"
done
std=$build/stdlib.txt
json=$build/harness.json
: >"$std"
echo '{"benchmarks": []}' >"$json"
echo "$pairs" | while IFS='|' read -r pkg sname hname div points note; do
	[ -n "$pkg" ] || continue
	procs=$(for pt in $points; do printf '%s,' "${pt%%:*}"; done)
	procs=${procs%,}
	# CancelTree/depth=10/Root=X -> ^BenchmarkCancelTree$/^depth=10$/^Root=X$
	re="^Benchmark$(printf '%s' "$sname" | sed 's#/#$/^#g')\$"
	hre="^$(printf '%s' "$hname" | sed 's#\.#\\.#g')/real_time/"
	echo "== $pkg.test -test.bench '$re' -test.cpu $procs / go-peer -filter '$hre' -threads $procs" >&2
	for _ in $(seq "$COUNT"); do
		(cd "$goroot/src/$pkg" && "$build/$pkg.test" -test.run '^$' -test.bench "$re" \
			-test.cpu "$procs" -test.count 1 -test.benchtime "$BENCHTIME") |
			grep '^Benchmark' | tee -a "$std" >&2
		"$build/go-peer" -threads "$procs" -benchtime "$BENCHTIME" -repetitions 1 \
			-filter "$hre" -out "$build/one.json"
		jq -s '{benchmarks: (.[0].benchmarks + .[1].benchmarks)}' "$json" "$build/one.json" >"$build/all.json"
		mv "$build/all.json" "$json"
	done
done

# median of the ns/op column of every "BenchmarkNAME[-P]" line
std_median() { # name procs
	local want="Benchmark$1"
	[ "$2" = 1 ] || want="$want-$2"
	awk -v w="$want" '$1 == w && $4 == "ns/op" { print $3 }' "$std" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
harness_median() { # run_name: median real_time (ns/op) of its repetitions
	jq -r --arg n "$1" '[.benchmarks[] | select(.run_name == $n and .run_type == "iteration") | .real_time]
		| sort | length as $l | if $l == 0 then "-" elif $l % 2 == 1 then .[($l - 1) / 2]
		else (.[$l / 2 - 1] + .[$l / 2]) / 2 end' "$json"
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
