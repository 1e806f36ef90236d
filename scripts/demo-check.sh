#!/bin/sh
# Check the console log of make run: the demo exited 0, and the kernel
# logged no warning (or worse) while it ran: /init lists those as
# "@@ DEMO-KMSG" lines.
# Usage: demo-check.sh LOG
set -eu

log=$1
grep -q '^@@ DEMO rc=0' "$log" || {
	echo "The demo failed: see $log" >&2
	exit 1
}
if grep -q '^@@ DEMO-KMSG ' "$log"; then
	echo "The kernel logged warnings while the demo ran (see $log):" >&2
	grep '^@@ DEMO-KMSG ' "$log" >&2
	exit 1
fi
echo "The demo ran, and the kernel logged no warning while it did."
