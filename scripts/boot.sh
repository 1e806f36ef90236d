#!/bin/sh
# Boot a kernel and initramfs in QEMU (TCG, -cpu max: the guest gets SVM with
# nested paging, so kvm_amd works inside), copy the serial console to a log,
# and kill QEMU after a time limit.
# Usage: boot.sh BZIMAGE INITRAMFS LOG SECONDS
#
# QEMU_NUMA=2 splits the memory (QEMU_MEM, in G) into two NUMA nodes, one
# per CPU and socket.  ARCH=arm64 boots an arm64 Image instead, on
# qemu-system-aarch64 -M virt with EL2 (virtualization=on), so that KVM runs
# in the guest; CMDLINE adds kernel parameters (e.g. kvm-arm.mode=protected).
#
# QEMU_ACCEL defaults to single-threaded TCG: with multi-threaded TCG
# (QEMU 7.2 and 10.0 alike), a nested guest can keep writing to memory that
# its KVM host already took back, and the host's memory gets corrupted.
# Debian's unmodified 6.1 and 6.12 both fail that way (README.md, "Race
# stress"), so tests that take memory away from running vCPUs would fail
# for reasons outside the kernel under test.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kernel=$1 initrd=$2 log=$3 limit=$4
accel=${QEMU_ACCEL:-tcg,thread=single}
if [ "${ARCH:-x86_64}" = arm64 ]; then
	"$top/scripts/need.sh" qemu-system-arm
	echo "== booting ${kernel#"$top"/} on qemu-system-aarch64 (${CMDLINE:-no extra parameters}, limit ${limit}s, console copied to ${log#"$top"/})"
	rc=0
	timeout -k 10 "$limit" qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
		-cpu max -accel "$accel" -smp 2 -m "${QEMU_MEM:-2G}" \
		-nographic -nic none -no-reboot -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyAMA0 panic=-1 ${CMDLINE:-}" </dev/null 2>&1 |
		tr -d '\r' | tee "$log" || rc=$?
	exit "$rc"
fi
"$top/scripts/need.sh" qemu-system-x86

mem=${QEMU_MEM:-2G}
smp=2
numa=
if [ "${QEMU_NUMA:-1}" = 2 ]; then
	half=$(( ${mem%G} * 512 ))M
	# One socket per node: CPUs of one socket share caches, which the
	# kernel warns about across nodes.
	smp=2,sockets=2,cores=1,threads=1
	numa="-object memory-backend-ram,id=m0,size=$half -numa node,nodeid=0,cpus=0,memdev=m0
	      -object memory-backend-ram,id=m1,size=$half -numa node,nodeid=1,cpus=1,memdev=m1"
fi

echo "== booting $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$kernel")")")")") in QEMU (-accel $accel, limit ${limit}s, console copied to ${log#"$top"/})"
rc=0
# shellcheck disable=SC2086 # $numa is a list of arguments
timeout -k 10 "$limit" qemu-system-x86_64 -M q35 -cpu max -accel "$accel" -smp "$smp" -m "$mem" $numa \
	-nographic -nic none -no-reboot -kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 ${CMDLINE:-}" </dev/null 2>&1 |
	tr -d '\r' | tee "$log" || rc=$?
# tee's status is what the pipeline returns; QEMU's timeout shows as a
# missing "@@ DONE" line, which the report catches.
exit "$rc"
