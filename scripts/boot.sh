#!/bin/sh
# Boot a kernel and initramfs in QEMU (TCG, -cpu max: the guest gets SVM with
# nested paging, so kvm_amd works inside), copy the serial console to a log,
# and kill QEMU after a time limit.
# Usage: boot.sh BZIMAGE INITRAMFS LOG SECONDS
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
"$top/scripts/need.sh" qemu-system-x86

echo "== booting $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$kernel")")")")") in QEMU (-accel $accel, limit ${limit}s, console copied to ${log#"$top"/})"
rc=0
timeout -k 10 "$limit" qemu-system-x86_64 -M q35 -cpu max -accel "$accel" -smp 2 -m "${QEMU_MEM:-2G}" \
	-nographic -nic none -no-reboot -kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 ${CMDLINE:-}" </dev/null 2>&1 |
	tr -d '\r' | tee "$log" || rc=$?
# tee's status is what the pipeline returns; QEMU's timeout shows as a
# missing "@@ DONE" line, which the report catches.
exit "$rc"
