# Sourced by build.sh and check.sh with $build set: Go never touches the
# network (standard library only) and its build cache stays writable.
export GOPROXY=off GOFLAGS= GO111MODULE=
if [ -z "${GOCACHE:-}" ] && ! { [ -n "${HOME:-}" ] && [ -w "$HOME" ]; }; then
	export GOCACHE=$build/gocache
fi
