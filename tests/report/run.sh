#!/bin/sh
# unit.report: draws the committed reference sweep into a scratch folder
# and checks its index.html (check_html.py): it parses, opens with the
# winners table, and every chart it names exists and is well-formed SVG.
set -eu
src=$1
ref=$(ls -d "$src"/results/*/*/ | sort | tail -n 1)
[ -f "$ref/manifest.json" ] || { echo "report test: no committed sweep under $src/results" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$src/scripts/plot" "$ref" "$out/plots" >/dev/null
python3 "$src/tests/report/check_html.py" "$out/plots/index.html"
