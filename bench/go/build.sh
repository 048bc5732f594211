#!/bin/bash
# Builds the Go peer into BUILD_DIR/go-peer, offline (standard library only),
# and prints the binary's path.
# usage: bench/go/build.sh BUILD_DIR
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
build=$(cd "$1" && pwd)
. "$here/goenv.sh"
(cd "$here" && go build -o "$build/go-peer" .)
echo "$build/go-peer"
