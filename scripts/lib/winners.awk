# Which implementation wins: for each family at 1 thread, at the PU count
# and at the family's largest thread count (the oversubscribed point where
# it has one), the best cpat variant, its figure, and its ratios to
# pthread, to the best peer (ck_*, Go) and to the machine's limit of the
# same run.  Input: the rows of lib/rows.jq; -v pus=N.
#
# Families with latency percentiles are ranked by p50 (lower wins), the
# others by items/s.  Every ratio reads "x times better" (> 1: the winner
# is better); "of limit" is the limit's figure over the winner's (<= 1: the
# share of what the machine allows).  Output TSV: family, point, threads,
# best, figure, unit, x pthread, best peer, x peer, limit, of limit;
# preceded by a sort key that puts the patterns in the order a reader asks
# about them (locks first).
BEGIN { FS = OFS = "\t" }
# The machine limit a family is held to (WORKLOADS.md, "floor for").
function floor_of(fam) {
	if (fam ~ /\.(uncontended|nonblocking)/ || fam ~ /^waitgroup\.add_done/) return "limits.atomic_rmw"
	if (fam ~ /^once\./) return "limits.acquire_load"
	if (fam ~ /^context\.deadline_overshoot/) return "limits.timed_wait"
	if (fam ~ /^context\.cancel_latency/) return "limits.futex_rtt"
	if (fam ~ /^(mutex|rwlock|chan|select|waitgroup)\./) return "limits.cacheline_rtt"
	return ""
}
$1 ~ /^limits\./ {
	name = $1; sub(/\/.*/, "", name)
	# The limit in ns: a percentile for timed_wait (the overshoot), half a
	# round trip for futex_rtt (one wake), else ns per item.
	if (name == "limits.timed_wait") lim[name] = $6
	else if (name == "limits.futex_rtt") lim[name] = $5 > 0 ? 0.5e9 / $5 : ""
	else if (!(name in lim) || 1e9 / $5 < lim[name]) lim[name] = $5 > 0 ? 1e9 / $5 : ""
	next
}
$3 != "null" {
	fam[$1] = 1; k = $1 SUBSEP $4
	if ($6 != "") lat[$1] = 1
	if ($4 > top[$1]) top[$1] = $4
	v[k SUBSEP $2] = $0; impls[k] = impls[k] SUBSEP $2; kind[$2] = $3
}
function order(fam,    p, i, n, list) {
	n = split("mutex rwlock once waitgroup chan select context pool fan", list, " ")
	p = fam; sub(/\..*/, "", p)
	for (i = 1; i <= n; i++) if (list[i] == p) return i
	return n + 1
}
# The figure that ranks row r of family f: p50 ns or items/s.
function fig(f, r,    c) { split(r, c, "\t"); return (f in lat) ? c[6] : c[5] }
function better(f, a, b) { return (f in lat) ? (a != "" && (b == "" || a + 0 < b + 0)) : a + 0 > b + 0 }
# How many times x is better than y (the winner x, a reference y).
function times(f, x, y) { if (x == "" || y == "" || x + 0 <= 0 || y + 0 <= 0) return "-"
	return sprintf("%.2f", (f in lat) ? y / x : x / y) }
function point(f, label, t,    k, n, i, list, best, bf, peer, pf, pt, r, x, ns, fl, of, shown) {
	k = f SUBSEP t
	if (!(k in impls)) return
	n = split(impls[k], list, SUBSEP) # list[1] is empty
	best = ""; peer = ""; pt = ""
	for (i = 2; i <= n; i++) {
		r = v[k SUBSEP list[i]]; x = fig(f, r)
		if (kind[list[i]] == "peer") { if (peer == "" || better(f, x, pf)) { peer = list[i]; pf = x } }
		else if (best == "" || better(f, x, bf)) { best = list[i]; bf = x }
		if (list[i] == "pthread") pt = x
	}
	if (best == "") return
	ns = (f in lat) ? bf : (bf > 0 ? 1e9 / bf : "")
	fl = floor_of(f)
	if (t == 1 && fl == "limits.cacheline_rtt")
		fl = "limits.atomic_rmw" # one thread: no line travels between PUs
	# (No comparison inside print's arguments: awk reads ">" there as a
	# redirection.)
	of = ((fl in lim) && lim[fl] != "" && ns + 0 > 0) ? sprintf("%.2f", lim[fl] / ns) : "-"
	shown = (f in lat) ? sprintf("%.0f", bf) : sprintf("%.4g", bf / 1e6)
	print order(f), f, label, t, best, shown, (f in lat) ? "ns p50" : "M items/s",
		times(f, bf, pt), peer == "" ? "-" : peer, times(f, bf, pf), fl == "" ? "-" : fl, of
}
END {
	for (f in fam) {
		point(f, "1 thread", 1)
		if (pus != 1) point(f, "PUs", pus)
		if (top[f] != pus && top[f] != 1) point(f, "most", top[f])
	}
}
