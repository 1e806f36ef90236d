#!/bin/sh
# Check the console log of make run: the demo exited 0, and the kernel
# printed nothing while it ran (a warning there is a bug).
# Usage: demo-check.sh LOG
set -eu

log=$1
grep -q '^@@ DEMO rc=0' "$log" || {
	echo "The demo failed: see $log" >&2
	exit 1
}
msgs=$(awk '/^== running the demo VMM/ { on = 1; next }
	/^@@ DEMO / { on = 0 }
	on && /^\[ *[0-9]+\.[0-9]+\] / { print }' "$log")
if [ -n "$msgs" ]; then
	echo "The kernel printed this while the demo ran (see $log):" >&2
	echo "$msgs" >&2
	exit 1
fi
echo "The demo ran and the kernel printed nothing while it did."
