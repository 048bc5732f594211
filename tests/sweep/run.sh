#!/bin/sh
# unit.sweep SRC CPAT_BENCH: scripts/sweep --quick --passes 3 once, interrupted twice
# and resumed.
#  1. SIGTERM during pass 2: exit 130, the manifest says incomplete, the
#     merged cpat-bench.json is valid and holds what finished, no temporary
#     file is left.
#  2. SIGKILL to the whole process group during pass 3: nothing to check
#     but that the resume copes.
#  3. --resume to the end: complete; every benchmark of benchmarks.txt has
#     exactly 3 repetitions (indices 0, 1, 2: none lost, none run twice) and
#     a median; so does every Go point (when go is installed); placement
#     has 3 passes per pattern; the report exists.
set -eu
src=$1
export CPAT_BENCH=$2
t=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || env kill -KILL -- "-$pid" 2>/dev/null || true; rm -rf "$t"' EXIT
export CPAT_RESULTS="$t/results" CPAT_PLOTS="$t/plots"
fail() { echo "FAIL: $*"; tail -n 20 "$t/log" 2>/dev/null || true; exit 1; }

# start: the sweep (or its resume) in a process group of its own.
start() { setsid "$src/scripts/sweep" "$@" >>"$t/log" 2>&1 & pid=$!; }
# wait_for N DIR: until DIR holds N finished parts (or the sweep ended).
wait_for() {
	i=0
	while [ "$(find "$2" -name '*.json' 2>/dev/null | wc -l)" -lt "$1" ]; do
		kill -0 "$pid" 2>/dev/null || fail "the sweep ended before $2 had $1 parts"
		i=$((i + 1))
		[ $i -lt 3000 ] || fail "no progress to $1 parts in $2 in 300 s"
		sleep 0.1
	done
}

start --quick --passes 3 once
while [ -z "$(ls -d "$t"/results/*/*/ 2>/dev/null)" ]; do
	kill -0 "$pid" 2>/dev/null || fail "the sweep ended before writing its folder"
	sleep 0.1
done
d=$(ls -d "$t"/results/*/*/)
d=${d%/}
wait_for 5 "$d/parts/p2"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 130 ] || fail "SIGTERM: the sweep exited $rc, not 130"
jq -e '.complete == false' "$d/manifest.json" >/dev/null || fail "SIGTERM: the manifest does not say incomplete"
jq -e '.benchmarks | length > 0' "$d/cpat-bench.json" >/dev/null || fail "SIGTERM: cpat-bench.json is not valid or empty"
[ -z "$(find "$d" -name '*.tmp.*')" ] || fail "SIGTERM left temporary files: $(find "$d" -name '*.tmp.*')"

start --resume "$d"
wait_for 5 "$d/parts/p3"
env kill -KILL -- "-$pid"
wait "$pid" 2>/dev/null || true
pid=""

start --resume "$d"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "the resume exited $rc"
jq -e '.complete == true and .failed == []' "$d/manifest.json" >/dev/null || fail "the resumed sweep is not complete, or something failed"
[ -z "$(find "$d" -name '*.tmp.*')" ] || fail "temporary files left: $(find "$d" -name '*.tmp.*')"
bad=$(jq -rn --rawfile list "$d/benchmarks.txt" --slurpfile b "$d/cpat-bench.json" '
	($list | split("\n") | map(select(. != ""))) as $names
	| $b[0].benchmarks as $runs
	| $names[] | . as $n
	| [$runs[] | select(.name == $n and .run_type == "iteration") | .repetition_index] as $r
	| select(($r | sort) != [0, 1, 2] or ([$runs[] | select(.run_name == $n and .aggregate_name == "median")] | length) != 1)
	| "\($n): repetitions \($r)"')
[ -z "$bad" ] || fail "benchmarks lost or run twice: $bad"
# The Go peer runs when go is installed (scripts/deps installs it).
patterns=1
if command -v go >/dev/null 2>&1; then
	patterns=2
	jq -e '[.benchmarks[] | select(.run_type == "iteration")] | group_by(.name) | length > 0 and all(map(.repetition_index) | sort == [0, 1, 2])' \
		"$d/go.json" >/dev/null || fail "the Go peer's points do not have repetitions 0, 1, 2 once each"
fi
jq -e --argjson n $patterns '.placement | length == $n and all(.passes | length == 3)' "$d/manifest.json" >/dev/null ||
	fail "placement is not recorded for once (and go) in 3 passes: $(jq -c .placement "$d/manifest.json")"
[ -f "$t/plots/$(basename "$(dirname "$d")")/$(basename "$d")/index.html" ] || fail "no report"
echo "sweep: SIGTERM and SIGKILL mid-pass, resumed: $(wc -l <"$d/benchmarks.txt") benchmarks x 3 repetitions once each ($patterns pattern(s) with placement)"
