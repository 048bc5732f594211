#!/bin/sh
# The runner's own test: nothing a check starts may outlive it.
#   verify/selftest.sh CPAT_VERIFY
# Runs cpat-verify's "selftest" checks (verify/selftest.c) with a short
# stall budget and time limit.  Each check leaves a stray process that
# blocks for good with the output file open, and
#   T1  forks a copy that blocks forever: it must pass well within the stall
#       budget (the copy is killed at its deadline, a trial with no verdict);
#   T2  hangs: it must fail as a hang at the stall budget;
#   T3  ticks forever: it must fail at the time limit.
# Then, with cpat-verify gone, no process of any check's group may be left
# and none may hold the output open (ctest would wait for its end-of-file:
# the 600 s time-out this test was written for).  The same run's --junit
# file must be well-formed XML with the three runs and the two failures;
# T2's rerun command must fail the same way with the same seed; and --soak
# must repeat a passing check and stop after the first failing round.  Output goes to a file, not
# a pipe, so that this script cannot hang the same way: it fails instead.
# Ends with "N passed, N failed".
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 CPAT_VERIFY" >&2
	exit 2
fi
verify=$1
stall=2
limit=4
dir=$(mktemp -d)
log=$dir/out
trap 'rm -rf "$dir"' EXIT

pass=0
fail=0
check() { # description command...
	what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $what" >&2
	fi
}
# below A B: A is a number and A < B
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a ~ /^[0-9.]+$/ && a + 0 < b + 0) }'; }
# secs TAG ID: the time cpat-verify reports for that check's run
secs() { sed -n "s/^$1 *$2 .* threads=1 \([0-9.]*\)s.*/\1/p" "$log"; }
# pgrp_of STATFILE: the process group in /proc/PID/stat (the 3rd field after
# the command name, which ends in ") ")
pgrp_of() { sed 's/.*) [^ ]* [^ ]* \([0-9]*\) .*/\1/' "$1" 2>/dev/null; }
# pgrp_alive PGID: some process is in that group
pgrp_alive() {
	for s in /proc/[0-9]*/stat; do
		[ "$(pgrp_of "$s")" = "$1" ] && return 0
	done
	return 1
}
pgrp_gone() { ! pgrp_alive "$1"; }
# holders FILE: the processes that have FILE open
holders() {
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$1" ] && { p=${f#/proc/}; echo "${p%%/*}"; }
	done | sort -u
}

start=$(date +%s)
rc=0
"$verify" --pattern selftest --stall "$stall" --limit "$limit" --junit "$dir/junit.xml" >"$log" 2>&1 || rc=$?
took=$(($(date +%s) - start))
cat "$log"

check "cpat-verify exits 1 (T2 and T3 fail), not $rc" test "$rc" = 1
check "the summary is '1 passed, 2 failed'" grep -qx '1 passed, 2 failed' "$log"
check "T1 passes" grep -q '^ok   T1 .*blocked copy was killed' "$log"
check "T1 ends well within the stall budget ($(secs ok T1)s < ${stall}s)" below "$(secs ok T1)" "$stall"
check "T2 fails as a hang" grep -q '^FAIL T2 .* hang: no progress' "$log"
check "T2 ends at the stall budget ($(secs FAIL T2)s)" below "$(secs FAIL T2)" $((stall + 2))
check "T3 fails at the time limit" grep -q '^FAIL T3 .* time limit: still running' "$log"
check "T3 ends at the time limit ($(secs FAIL T3)s)" below "$(secs FAIL T3)" $((limit + 2))
check "the whole run takes about stall + limit (${took}s)" below "$took" $((stall + limit + 6))

# Each check must have had a group of its own: ours (the runner's) would
# not tell its leftovers from this script.
self=$(pgrp_of /proc/$$/stat)
pgids=$(sed -n 's/^selftest T[0-9]: pgid \([0-9]*\)$/\1/p' "$log" | grep -vx "$self" | sort -u)
check "each check ran in a process group of its own ($(echo $pgids))" test "$(echo "$pgids" | grep -c .)" = 3
for g in $pgids; do
	check "nothing of process group $g is left" pgrp_gone "$g"
done
left=$(holders "$log" | tr '\n' ' ')
check "no process holds the output open (left: ${left:-none})" test -z "$left"

# CI output: JUnit XML, rerun commands, soak rounds.
xml=$dir/junit.xml
check "--junit wrote well-formed XML" xmllint --noout "$xml"
check "--junit has 3 testcases, 2 failures" grep -q 'tests="3" failures="2"' "$xml"
check "--junit names T2's run" grep -q 'name="T2 threads=1"' "$xml"
check "--junit's failures carry rerun commands" test "$(grep -c '<failure .*--pattern selftest.*--seed 0x' "$xml")" = 2
seed2=$(sed -n 's/^     T2: .*; seed \(0x[0-9a-f]*\)$/\1/p' "$log")
rerun2=$(sed -n '/^FAIL T2/,/rerun:/s/^     rerun: //p' "$log")
rrc=0
# shellcheck disable=SC2086 # the rerun command is meant to split
$rerun2 --stall "$stall" --limit "$limit" >"$dir/rerun" 2>&1 || rrc=$?
check "T2's rerun fails again (rc $rrc)" test "$rrc" = 1
check "T2's rerun runs with T2's seed ($seed2)" grep -q "^     T2: .*; seed $seed2\$" "$dir/rerun"
"$verify" --pattern selftest --check T1 --soak 3 --stall "$stall" >"$dir/soak" 2>&1 || true
check "--soak 3 of a passing check runs 3 rounds" grep -qx '3 passed, 0 failed' "$dir/soak"
src=0
"$verify" --pattern selftest --check T2 --soak 3 --stall "$stall" --limit "$limit" >"$dir/soak2" 2>&1 || src=$?
check "--soak stops after the first failing round (rc $src)" grep -q '^cpat-verify: round 1 of 3 failed: stopping' "$dir/soak2"
check "--soak ran no second round" test "$(grep -c '^cpat-verify: round ' "$dir/soak2")" = 2

# Clean up after a failure: what is left is this test's own.
for p in $left; do
	kill -9 "$p" 2>/dev/null || true
done
for g in $pgids; do
	pgrp_gone "$g" || kill -9 -"$g" 2>/dev/null || true
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
