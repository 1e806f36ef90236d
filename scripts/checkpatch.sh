#!/bin/sh
# Run checkpatch.pl --strict on every patch of patches/series. The one
# exception a patch may take is the MAINTAINERS question for new files,
# and only if its commit message says why the answer is no.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/need.sh" python3-ply python3-git
status=0
for p in $(grep -v '^[[:space:]]*\(#\|$\)' "$top/patches/series"); do
	ignore=""
	grep -q '^checkpatch.pl --strict asks whether MAINTAINERS' "$top/patches/$p" &&
		ignore="--ignore FILE_PATH_CHANGES"
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
