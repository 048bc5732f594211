# One TSV row per (family, impl, threads) of a sweep's Google Benchmark JSON:
# the median's figures.  Used by scripts/plot and scripts/report.
#
# A name is <workload>/<impl>[/<param>:<value>...]/real_time/threads:N; the
# family is the workload with its params.  limits.* have no impl.
# X.oversubscribed ("as contended with 4x more threads than PUs") joins
# X.contended as its last point, so the chart shows who collapses.
#
# Columns: 1 family, 2 impl, 3 kind (variant, peer, null), 4 threads,
# 5 items/s, 6 p50, 7 p99, 8 p999, 9 max (ns), 10 capped, 11 cpu_per_op,
# 12 csw_per_op.  $kinds is cpat-bench's "impl=kind ..." list.
($kinds | split(" ") | map(select(. != "") | split("=") | {(.[0]): .[1]}) | add // {}) as $kind
| .benchmarks[]
| select(.run_type == "aggregate" and .aggregate_name == "median" and (.error_occurred | not))
| (.run_name | split("/") | map(select(. != "real_time" and (startswith("threads:") | not)))) as $p
| (if ($p[0] | startswith("limits.")) then {fam: ($p | join("/")), impl: "-"}
   else {fam: ([$p[0] | sub("\\.oversubscribed$"; ".contended")] + $p[2:] | join("/")), impl: $p[1]} end) as $id
| [$id.fam, $id.impl, ($kind[$id.impl] // (if $id.impl == "go" then "peer" else "variant" end)),
   .threads, (.items_per_second // 0), (.p50 // ""), (.p99 // ""), (.p999 // ""), (.max // ""),
   (.capped // 0), (.cpu_per_op // ""), (.csw_per_op // "")]
| @tsv
