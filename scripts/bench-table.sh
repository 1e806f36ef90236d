#!/bin/sh
# Turn the "@@ BENCH row column value" lines of a make bench console log into
# one table: guest_memfd and baseline as min/median/max, their ratio, and with
# a second (peer kernel) log, the peer's guest_memfd median and ours/peer.
# Usage: bench-table.sh LOG [PEER_LOG]
set -eu

ours=$1
peer=${2:-}
for log in "$ours" $peer; do
	grep -q '^@@ BENCH-DONE' "$log" || {
		echo "The benchmarks did not finish on one kernel: see $log" >&2
		exit 1
	}
done

awk -v peerlog="$peer" '
function kernel_of(file,    l, f) {
	while ((getline l < file) > 0)
		if (l ~ /^@@ KERNEL /) { split(l, f, " "); close(file); return f[3] }
	close(file)
	return "?"
}
function median(key,    n, i, j, v, t) {
	n = split(vals[key], v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	lo[key] = v[1]; hi[key] = v[n]
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
# Seconds as milliseconds, or kB for slab rows, with 3 significant digits.
function fmt(row, x) {
	if (row ~ /-(slab|kB)$/) return sprintf("%d kB", x)
	x *= 1000
	return x < 1 ? sprintf("%.3f", x) : x < 10 ? sprintf("%.2f", x) : x < 100 ? sprintf("%.1f", x) : sprintf("%.0f", x)
}
function triple(row, key,    m) {
	if (!(key in vals)) return "-"
	m = median(key)
	if (lo[key] == hi[key]) return fmt(row, m)
	return fmt(row, lo[key]) " / " fmt(row, m) " / " fmt(row, hi[key])
}
function what(row,    r, size) {
	if (row ~ /^nohuge-/) return what(substr(row, 8)) ", 4K folios"
	r = row; size = row
	sub(/^[a-z]+-(cold-|warm-|private-|shared-)?/, "", size); sub(/-.*/, "", size)
	if (row ~ /^populate-/) return "populate " size " (fallocate), vs memfd"
	if (row ~ /^punch-/) return "punch-hole " size ", vs memfd"
	if (row ~ /^fault-cold-.*-vs-4k$/) return "fault-in " size " cold, vs anon 4K"
	if (row ~ /^fault-cold-.*-vs-thp$/) return "fault-in " size " cold, vs anon THP"
	if (row ~ /^fault-warm-.*-vs-4k$/) return "fault-in " size " warm, vs anon 4K"
	if (row ~ /^fault-warm-.*-vs-thp$/) return "fault-in " size " warm, vs anon THP"
	if (row ~ /^to-private-.*-slab$/) return "mark " size " private: slab growth"
	if (row ~ /^to-private-/) return "mark " size " private (first time)"
	if (row ~ /^convert-/) return "private->shared->private " size
	if (row ~ /^split-/) return "split 1 page out of " size " private"
	if (row ~ /^merge-/) return "merge it back"
	if (row ~ /^teardown-/) return "destroy VM with " size " used, vs anon 4K"
	if (row ~ /^directmap-/) return "DirectMap4k growth, " size " private faulted in"
	if (row ~ /^convpage-/) return "4K to shared+back in 2M range, vs 4K folios"
	if (row ~ /^prefault-private-/) return "pre-fault " size " private (cold), vs guest faults"
	if (row ~ /^prefault-shared-/) return "pre-fault " size " shared 4K pages, vs guest faults"
	if (row ~ /^memset-/) return "memset " size " in the QEMU guest (reference)"
	return row
}
FNR == 1 { file++ }
/^@@ BENCH-INFO / { if (file == 1) info = $3 }
/^@@ BENCH [^ ]+ [^ ]+ [-0-9.]+$/ {
	key = file SUBSEP $3 SUBSEP $4
	vals[key] = (key in vals ? vals[key] " " : "") $5
	if (file == 1 && !($3 in seen)) { seen[$3] = 1; rows[++nrows] = $3 }
}
END {
	peered = peerlog != ""
	printf "guest_memfd benchmarks: kernel %s", kernel_of(ARGV[1])
	if (peered) printf " vs peer %s", kernel_of(peerlog)
	printf "; QEMU TCG -cpu max, 2 vCPUs; %s\n", info
	printf "times in ms (slab in kB) as min / median / max; ratios of medians\n\n"
	printf "%-52s %-26s %-26s %9s", "benchmark", "guest_memfd (ours)", "baseline (same run)", "gmem/base"
	if (peered) printf " %12s %9s", "peer gmem", "ours/peer"
	printf "\n"
	for (i = 1; i <= nrows; i++) {
		row = rows[i]
		g = 1 SUBSEP row SUBSEP "gmem"; b = 1 SUBSEP row SUBSEP "base"; r = 1 SUBSEP row SUBSEP "ref"
		if (r in vals) g = r
		printf "%-52s %-26s %-26s", what(row), triple(row, g), triple(row, b)
		ratio = "-"
		if ((g in vals) && (b in vals) && median(b) > 0)
			ratio = sprintf("%.2f", median(g) / median(b))
		printf " %9s", ratio
		if (peered) {
			p = 2 SUBSEP row SUBSEP (r in vals ? "ref" : "gmem")
			pv = "-"; pr = "-"
			if (p in vals) {
				pv = fmt(row, median(p))
				if (median(p) > 0) pr = sprintf("%.2f", median(g) / median(p))
				else if (median(g) <= 0) pr = "equal"
			}
			printf " %12s %9s", pv, pr
		}
		printf "\n"
	}
}' "$ours" $peer
