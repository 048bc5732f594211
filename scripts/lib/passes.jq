# Merges the parts of a sweep run in passes into one Google Benchmark file.
#
#   find D/parts -name '*.json' -exec jq -c '{file: input_filename, doc: .}' {} + | jq -n -f passes.jq
#
# Each part is one run of one benchmark (or of one Go workload at all its
# thread counts), with one or more repetitions, made in pass K (its folder
# pK/).  A benchmark's repetitions are its runs in passes 1..P, numbered in
# that order (repetition_index 0..).  After them come the aggregates Google
# Benchmark itself writes when it repeats a benchmark (mean, median,
# stddev, cv) of every figure, so scripts/plot, scripts/report and
# scripts/compare read a merged sweep as they read a Google Benchmark file;
# a benchmark with one good run (an interrupted sweep) gets them too, with
# stddev 0, so that it is plotted like the rest.  A benchmark keeps the
# position of its part file (NNNN-) in the sweep's list.
def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def mean: add / length;
def stddev: if length < 2 then 0 else mean as $m | map((. - $m) * (. - $m)) | add / (length - 1) | sqrt end;
# Numbers that name or count runs rather than measure them.
def structural: IN("family_index", "per_family_instance_index", "repetitions", "repetition_index", "threads");
def aggregate($runs; $name; f):
	($runs[0] | del(.repetition_index)) + {
		name: ($runs[0].run_name + "_" + $name), run_type: "aggregate", repetitions: ($runs | length),
		aggregate_name: $name, aggregate_unit: (if $name == "cv" then "percentage" else "time" end)}
	+ ([$runs[0] | to_entries[] | select((.value | type) == "number" and (.key | structural | not)) | .key] as $keys
	   | reduce $keys[] as $k ({}; .[$k] = ([$runs[][$k] // empty] | f)));

[inputs] as $parts
| {context: ($parts[0].doc.context // {}),
   benchmarks: [$parts[]
	| (.file | capture("/p(?<k>[0-9]+)/(?<pos>[^/]*)$")) as $at
	| .doc.benchmarks[] | select(.run_type == "iteration")
	| . + {order: [($at.k | tonumber), (.repetition_index // 0)], pos: $at.pos}]
	| group_by(.pos) | map(group_by(.name) | map(sort_by(.order))) | flatten(1)
	| map(length as $n | [to_entries[] | .value + {repetition_index: .key, repetitions: $n} | del(.pos, .order)] as $runs
		| $runs + ([$runs[] | select(.error_occurred | not)] as $ok
			| if ($ok | length) < 1 then [] else
				[aggregate($ok; "mean"; mean), aggregate($ok; "median"; median), aggregate($ok; "stddev"; stddev),
				 aggregate($ok; "cv"; (mean as $m | if $m == 0 then 0 else stddev / $m end))] end))
	| flatten(1)}
