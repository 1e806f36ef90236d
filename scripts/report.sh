#!/bin/sh
# Read a guest console log of make check: selftest results (@@ RESULT lines),
# KUnit suite results (KTAP), and kernel reports (BUG, WARNING, KASAN,
# lockdep, kmemleak). Prints one line per failure and the summary line
# "N passed, N failed, N skipped"; exits 1 if anything failed.
# Usage: report.sh LOG
set -eu

log=$1
awk '
function fail(what) { failed++; print "FAIL: " what }
{
	line = $0
	kernel = sub(/^\[ *[0-9]+\.[0-9]+\] /, "", line)
}
/^@@ RESULT / {
	name = $3
	if ($4 == "PASS") { passed++; print "ok:   " name " (" $NF ")" }
	else if ($4 == "SKIP") { skipped++; print "SKIP: " name }
	else fail(name " (" substr($0, index($0, $4)) ")")
	next
}
/^@@ START / { started++; next }
/^@@ DONE/ { done = 1; next }
/^@@ KMEMLEAK / { if ($3 + 0 > 0) reports++; next }
/unreferenced object/ { reports++ }
# KUnit: top-level KTAP lines are the suites.
line ~ /^(not )?ok [0-9]+ / {
	n = split(line, f, " ")
	notok = (f[1] == "not")
	name = notok ? f[4] : f[3]
	if (name == "-") name = notok ? f[5] : f[4]
	if (line ~ /# SKIP/) { skipped++; print "SKIP: kunit " name }
	else if (notok) fail("kunit " name)
	else { passed++; print "ok:   kunit " name }
	next
}
line ~ /^    not ok [0-9]+ / { print "      kunit case " line }
kernel && line ~ /^(WARNING:|BUG:|kernel BUG|Kernel panic|Oops|general protection fault|UBSAN:|INFO: task .* blocked|watchdog: BUG|kmemleak: [0-9]+ new suspected)/ {
	reports++
	print "REPORT: " line
}
END {
	if (!done) fail("guest did not finish (QEMU timed out or the kernel died): see the log")
	if (reports) fail(reports " kernel report(s) on the console: see the log")
	printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	exit failed ? 1 : 0
}' "$log"
