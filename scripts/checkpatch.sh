#!/bin/sh
# Run checkpatch.pl --strict on every patch of patches/series.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
status=0
for p in $(grep -v '^[[:space:]]*\(#\|$\)' "$top/patches/series"); do
	if out=$(cd "$top/build/linux" && ./scripts/checkpatch.pl --strict --quiet --no-summary "$top/patches/$p"); then
		echo "ok:   $p"
	else
		echo "FAIL: $p"
		echo "$out"
		status=1
	fi
done
exit $status
