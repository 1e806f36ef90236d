#!/bin/busybox sh
# /init of the test initramfs. Runs /demo/vmm (mode "run"), the benchmarks
# (mode "bench") or each test of /tests.list with its own timeout (mode
# "check"), printing one "@@ RESULT" line per test, then powers the VM off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t tmpfs tmpfs /tmp
# The stress test charges its memory to a cgroup of its own.
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

finish() {
	echo "@@ DONE"
	sync
	reboot -f
}

if [ "$(cat /mode)" = bench ]; then
	echo "@@ KERNEL $(uname -r) $(nproc) cpus $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
	# shellcheck disable=SC2046
	/bench/gmem_bench $(cat /bench.args)
	echo "@@ BENCH-RC $?"
	finish
fi

if [ "$(cat /mode)" = run ]; then
	echo "== running the demo VMM"
	dmesg -c >/dev/null
	/demo/vmm
	echo "@@ DEMO rc=$?"
	# Kernel messages of warning level or worse while the demo ran.
	dmesg -r | grep '^<[0-4]>' | sed 's/^/@@ DEMO-KMSG /'
	finish
fi

echo "@@ KERNEL $(uname -r) $(nproc) cpus"
for m in /lib/modules/*.ko; do
	[ -f "$m" ] || continue
	insmod "$m" || echo "@@ insmod $m failed"
done
while read -r name limit args; do
	echo "@@ START $name (timeout ${limit}s)"
	t0=$(cut -d. -f1 /proc/uptime)
	# shellcheck disable=SC2086
	timeout -s KILL "$limit" "/kvm/$name" $args
	rc=$?
	t1=$(cut -d. -f1 /proc/uptime)
	case $rc in
	0) verdict=PASS ;;
	4) verdict=SKIP ;;
	137) verdict="FAIL (timed out)" ;;
	*) verdict=FAIL ;;
	esac
	echo "@@ RESULT $name $verdict rc=$rc time=$((t1 - t0))s"
done </tests.list

if [ -w /sys/kernel/debug/kmemleak ]; then
	# Two scans: kmemleak only reports objects seen unreferenced twice.
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)
	echo "@@ KMEMLEAK $leaks"
	sed 's/^/kmemleak: /' /sys/kernel/debug/kmemleak | head -200
fi
finish
