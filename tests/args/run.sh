#!/bin/sh
# unit.bad-args: every program and script rejects bad arguments with exit
# status 2 and a first line on stderr that names the problem.
#   run.sh SOURCE_DIR BUILD_DIR
set -u
src=$1
build=$2
fails=0
n=0
# expect WORD CMD...: CMD exits 2 and the first line of its stderr holds WORD.
expect() {
	word=$1
	shift
	n=$((n + 1))
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	first=$(printf '%s\n' "$err" | head -n 1)
	if [ "$rc" -ne 2 ] || ! printf '%s' "$first" | grep -qF -- "$word"; then
		echo "FAIL: $* -> exit $rc, first line: $first (wanted exit 2 and '$word')"
		fails=$((fails + 1))
	else
		echo "ok: $* -> $first"
	fi
}
verify=$build/verify/cpat-verify
expect nope "$verify" --pattern nope
expect nope "$verify" --impl nope
expect M9 "$verify" --pattern mutex --check M9
expect threads "$verify" --threads 0
expect threads "$verify" --threads 2,x
expect seconds "$verify" --seconds -1
expect bogus "$verify" --bogus
bench=$build/bench/cpat-bench
if [ -x "$bench" ]; then
	expect bogus "$bench" --pin bogus
	expect threads "$bench" --threads 0
	expect run-cap "$bench" --run-cap -1
	expect bogus "$bench" --bogus
	expect nomatch "$bench" --benchmark_filter=nomatch
fi
expect pin "$src/scripts/sweep" --pin bogus
expect passes "$src/scripts/sweep" --passes 2
expect passes "$src/scripts/sweep" --quick --passes x
# An unknown pattern is known only from the built cpat-bench: only when the
# sweep's build is there and fresh (the sweep would build it otherwise).
rel=$src/build/release/bench/cpat-bench
if [ -x "$rel" ] && [ -z "$(find "$src/impl" "$src/bench" -newer "$rel" -print -quit)" ]; then
	expect nope "$src/scripts/sweep" --quick nope
fi
expect /nonexistent "$src/scripts/sweep" --resume /nonexistent
expect usage "$src/scripts/plot"
expect /nonexistent "$src/scripts/plot" /nonexistent
expect /nonexistent "$src/scripts/report" /nonexistent
expect bogus "$src/scripts/test" bogus
expect /nonexistent "$src/scripts/compare" /nonexistent /nonexistent
expect threshold "$src/scripts/compare" --threshold x a b
expect usage "$src/scripts/compare" onlyone
expect extra "$src/scripts/deps" extra
echo "$((n - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
