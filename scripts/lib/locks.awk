# Locks: for each mutex/rwlock family and thread count, the best
# implementation next to the best whose waiters park, and Go.  Input: the
# rows of lib/rows.jq; -v parks="pattern/impl ..." (cpat-bench's
# cpat_parks).  Output, TSV sorted by the caller: family, threads, best,
# items/s, cpu/op, csw/op, best parking, items/s, cpu/op, csw/op, Go items/s,
# parking/Go ("-" where there is none).
BEGIN { FS = OFS = "\t"; parks = " " parks " " }
$1 ~ /^(mutex|rwlock)\./ && $3 != "null" {
	k = $1 SUBSEP $4; split($1, fp, "."); keys[k] = 1
	if ($2 == "go") { go[k] = $5; next }
	if ($5 > best[k]) { best[k] = $5; bi[k] = $2; bc[k] = $11; bs[k] = $12 }
	if (index(parks, " " fp[1] "/" $2 " ") && $5 > park[k]) { park[k] = $5; pi[k] = $2; pc[k] = $11; ps[k] = $12 }
}
function dash(x) { return x == "" ? "-" : x }
END {
	for (k in keys) {
		split(k, f, SUBSEP)
		g = (k in go) ? go[k] : "-"
		ratio = ((k in go) && go[k] > 0 && pi[k] != "") ? sprintf("%.2f", park[k] / go[k]) : "-"
		print f[1], f[2], dash(bi[k]), dash(best[k]), dash(bc[k]), dash(bs[k]),
			dash(pi[k]), dash(park[k]), dash(pc[k]), dash(ps[k]), g, ratio
	}
}
