#!/bin/sh
# unit.install BUILD CONSUMER_SRC CC CXX: `cmake --install` of BUILD into a
# scratch prefix; then, outside the tree, the consumer (consumer/consumer.c:
# table form and direct form) built against that copy with find_package
# (static and shared) and with pkg-config, and run; and every public header
# <cpat/*.h> compiled alone as C11 and as C++17 with -Wall -Wextra
# -Wpedantic -Werror.  Prints what it did; exits non-zero at the first
# failure.
set -eu
[ $# -eq 4 ] || { echo "usage: run.sh BUILD CONSUMER_SRC CC CXX" >&2; exit 2; }
build=$1 src=$2 cc=$3 cxx=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
echo "installed $(find "$tmp/prefix" -type f | wc -l) files"

cmake -S "$src" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_COMPILER="$cc" \
	>"$tmp/configure.log"
cmake --build "$tmp/cmake" >"$tmp/build.log"
for kind in static shared; do
	printf 'find_package, %s: ' "$kind"
	"$tmp/cmake/consumer-$kind"
done
if ldd "$tmp/cmake/consumer-static" | grep -q libcpat; then
	echo "consumer-static links libcpat.so" >&2
	exit 1
fi

pc=$(find "$tmp/prefix" -name cpat.pc)
[ -n "$pc" ] || { echo "no cpat.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH="${pc%/cpat.pc}"
# shellcheck disable=SC2046 # pkg-config's flags are meant to split
"$cc" -o "$tmp/consumer-pc" "$src/consumer.c" $(pkg-config --cflags --libs cpat)
printf 'pkg-config: '
LD_LIBRARY_PATH="$(pkg-config --variable=libdir cpat)" "$tmp/consumer-pc"

# A C++ program through the table form: the headers' extern "C" linkage.
# shellcheck disable=SC2046
printf '%s\n' '#include <cpat/cpat.h>' '#include <cerrno>' '#include <cstdio>' \
	'int main() {' '    const cpat_mutex_ops *o = cpat_mutex_find("futex");' \
	'    std::printf("C++ table form: %s\n", o ? cpat_strerror(EPIPE) : "no futex mutex");' \
	'    return o == nullptr;' '}' |
	"$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -x c++ - -o "$tmp/consumer-cxx" \
		$(pkg-config --cflags --libs cpat)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir cpat)" "$tmp/consumer-cxx"

n=0
for h in "$tmp/prefix/include/cpat/"*.h; do
	name=cpat/${h##*/}
	# shellcheck disable=SC2046
	printf '#include <%s>\nint cpat_header_check;\n' "$name" |
		"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c - $(pkg-config --cflags cpat)
	# shellcheck disable=SC2046
	printf '#include <%s>\nint cpat_header_check;\n' "$name" |
		"$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c++ - $(pkg-config --cflags cpat)
	n=$((n + 1))
done
echo "$n public headers compile alone as C11 and as C++17"
