#!/bin/sh
# Run checkpatch.pl --strict on every patch of patches/series. A patch may
# take exceptions only by naming them in its commit message, with a reason:
# "checkpatch: ignore TYPE[,TYPE...]" on a line of its own, or the
# explained MAINTAINERS question for new files.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/need.sh" python3-ply python3-git
status=0
for p in $(grep -v '^[[:space:]]*\(#\|$\)' "$top/patches/series"); do
	types=$(sed -n 's/^checkpatch: ignore \([A-Z_,]*\)$/\1/p' "$top/patches/$p" | paste -sd, -)
	grep -q '^checkpatch.pl --strict asks whether MAINTAINERS' "$top/patches/$p" &&
		types="${types:+$types,}FILE_PATH_CHANGES"
	ignore=${types:+--ignore $types}
	# shellcheck disable=SC2086
	if out=$(cd "$top/build/linux" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --quiet --no-summary $ignore "$top/patches/$p"); then
		echo "ok:   $p"
	else
		echo "FAIL: $p"
		echo "$out"
		status=1
	fi
done
exit $status
