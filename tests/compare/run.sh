#!/bin/sh
# unit.compare: scripts/compare's decision, on sweeps made from the
# committed reference: a sweep against itself flags nothing (exit 0); the
# same with one benchmark's items/s cut by 20% in every repetition flags
# exactly that one (exit 1); the same at 2 threads, where the two sweeps'
# limits.cacheline_rtt differ 2x, is listed and not judged (exit 0); a
# machine limit's drop is not judged (exit 0); too few repetitions to
# ever reach p < alpha is refused (exit 2).  The reference keeps 3
# repetitions; the 5-repetition sweeps here add two copies of repetitions 0
# and 1, 1% apart.
set -eu
src=$1
ref=$(ls -d "$src"/results/*/*/ | sort | tail -n 1)
ref=${ref%/}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir "$t/a" "$t/b"
for d in a b; do jq '.files = ["cpat-bench.json"]' "$ref/manifest.json" >"$t/$d/manifest.json"; done
jq '.benchmarks |= (. + [.[] | select(.run_type == "iteration" and .repetition_index < 2)
	| .items_per_second *= (if .repetition_index == 0 then 1.01 else 0.99 end) | .repetition_index += 3])' \
	"$ref/cpat-bench.json" >"$t/a/cpat-bench.json"
# The benchmark slowed down: the steadiest (smallest max/min over its
# repetitions) outside limits.*, so that a 20% cut separates its
# repetitions and the U test reaches its smallest p.
slow=$(jq -r '[.benchmarks[] | select(.run_type == "iteration" and (.name | startswith("limits.") | not))]
	| group_by(.name) | map({name: .[0].name, r: (map(.items_per_second) | max / min)}) | min_by(.r) | .name' "$t/a/cpat-bench.json")
jq --arg n "$slow" '(.benchmarks[] | select(.run_type == "iteration" and .name == $n) | .items_per_second) |= . * 0.8' \
	"$t/a/cpat-bench.json" >"$t/b/cpat-bench.json"

rc=0; "$src/scripts/compare" "$t/a" "$t/a" >"$t/aa.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$t/aa.out"; echo "FAIL: A/A compare exited $rc, not 0"; exit 1; }
rc=0; "$src/scripts/compare" "$t/a" "$t/b" >"$t/ab.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$t/ab.out"; echo "FAIL: a 20% slowdown of $slow exited $rc, not 1"; exit 1; }
grep -q "^compare: 1 slower" "$t/ab.out" && grep -qF "$slow" "$t/ab.out" ||
	{ cat "$t/ab.out"; echo "FAIL: the slowdown of $slow is not the one reported"; exit 1; }
# The same slowdown at 2 threads where the host placed the vCPUs apart in
# one sweep and together in the other: listed, not judged (exit 0).
slow2=$(jq -r '[.benchmarks[] | select(.run_type == "iteration" and (.name | endswith("threads:2"))) | .name][0]' "$t/a/cpat-bench.json")
pat=${slow2%%.*}
mkdir "$t/c" "$t/d"
cp "$t/a/cpat-bench.json" "$t/c/"
jq --arg n "$slow2" '(.benchmarks[] | select(.run_type == "iteration" and .name == $n) | .items_per_second) |= . * 0.8' \
	"$t/a/cpat-bench.json" >"$t/d/cpat-bench.json"
jq --arg p "$pat" '.placement = [{pattern: $p, before_ns: 60, after_ns: 65}]' "$t/a/manifest.json" >"$t/c/manifest.json"
jq --arg p "$pat" '.placement = [{pattern: $p, before_ns: 130, after_ns: 125}]' "$t/a/manifest.json" >"$t/d/manifest.json"
rc=0; "$src/scripts/compare" "$t/c" "$t/d" >"$t/cd.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "placement differs" "$t/cd.out" ||
	{ cat "$t/cd.out"; echo "FAIL: a slowdown of $slow2 under a changed placement exited $rc, or was not listed"; exit 1; }
# limits.* measure the machine: a 20% drop there is not judged (exit 0).
lim=$(jq -r '[.benchmarks[] | select(.run_type == "iteration" and (.name | startswith("limits."))) | .name][0]' "$t/a/cpat-bench.json")
mkdir "$t/e"
cp "$t/a/manifest.json" "$t/e/"
jq --arg n "$lim" '(.benchmarks[] | select(.run_type == "iteration" and .name == $n) | .items_per_second) |= . * 0.8' \
	"$t/a/cpat-bench.json" >"$t/e/cpat-bench.json"
rc=0; "$src/scripts/compare" "$t/a" "$t/e" >"$t/ae.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "measure the machine" "$t/ae.out" ||
	{ cat "$t/ae.out"; echo "FAIL: a 20% drop of $lim (a machine limit) exited $rc, or limits were not said to be unjudged"; exit 1; }
rc=0; "$src/scripts/compare" "$ref" "$ref" >"$t/few.out" 2>&1 || rc=$?
if [ "$(jq '[.benchmarks[] | select(.run_type == "iteration") | .repetition_index] | max' "$ref/cpat-bench.json")" -lt 3 ]; then
	[ "$rc" -eq 2 ] || { cat "$t/few.out"; echo "FAIL: 3 repetitions (p >= 0.1) should be refused, exit $rc"; exit 1; }
fi
echo "compare: A/A none flagged; 20% slowdown of $slow flagged; at 2 threads under a changed placement not judged; $lim not judged; too few repetitions refused"
