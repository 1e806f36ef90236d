#!/bin/sh
# Report of make check ARCH=arm64: both guest consoles (VHE mode, and
# protected mode with kvm-arm.mode=protected) read like an x86 one by
# report.sh, each also checked for the KVM mode it was meant to run in.
# Ends with one "N passed, N failed, N skipped" line for both.
# Usage: [NAME=arm64-debug] report-arm64.sh  (reads build/console-$NAME-*.log)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
name=${NAME:-arm64}
passed=0 failed=0 skipped=0
for mode in vhe protected; do
	log=$top/build/console-$name-$mode.log
	case $mode in
	vhe) want="VHE mode initialized successfully" ;;
	protected) want="Protected nVHE mode initialized successfully" ;;
	esac
	out=$("$top/scripts/report.sh" "$log" || true)
	echo "$out" | sed '$d' | sed "s/^\([A-Za-z]*:\) */\1 [$mode] /"
	# shellcheck disable=SC2046 # the summary line's words
	set -- $(echo "$out" | tail -n 1)
	passed=$((passed + $1)) failed=$((failed + $3)) skipped=$((skipped + $5))
	if ! grep -q "$want" "$log"; then
		echo "FAIL: [$mode] KVM did not start in that mode (no \"$want\" in ${log#"$top"/})"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
