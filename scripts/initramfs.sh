#!/bin/sh
# Pack build/initramfs-<mode>.cpio.gz: busybox, the init script, and either
# the selftests of config/tests (mode check; TESTS="a b" picks a subset;
# mainline/... are mainline's own, see mainline-selftests.sh), the
# demo VMM (mode run) or the benchmarks with BENCH_ARGS (mode bench).
# TIMEOUT_SCALE multiplies every test's timeout; KDIR (e.g. build/kernel-debug)
# names the kernel whose modules go into /lib/modules.  ARCH=arm64 packs
# build/initramfs-check-arm64 (mode check only) with config/tests-arm64.
# Usage: initramfs.sh check|run|bench
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
mode=$1
scale=${TIMEOUT_SCALE:-1}
"$top/scripts/need.sh" cpio gzip
if [ "${ARCH:-x86_64}" = arm64 ]; then
	[ "$mode" = check ] || { echo "ARCH=arm64: only make check." >&2; exit 1; }
	root=$top/build/initramfs-$mode-arm64
	busybox=$("$top/scripts/busybox-arm64.sh")
	list=$top/config/tests-arm64
	selftests=$top/build/selftests-arm64
else
	root=$top/build/initramfs-$mode
	"$top/scripts/need.sh" busybox-static
	busybox=/bin/busybox
	list=$top/config/tests
	selftests=$top/build/selftests
fi

rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/kvm" "$root/demo"
cp "$busybox" "$root/bin/busybox"
cp "$top/scripts/guest-init.sh" "$root/init"
chmod 755 "$root/init"
echo "$mode" >"$root/mode"

if [ "$mode" = run ]; then
	cp "$top/demo/vmm" "$root/demo/vmm"
elif [ "$mode" = bench ]; then
	mkdir -p "$root/bench"
	cp "$top/build/bench/gmem_bench" "$root/bench/"
	echo "${BENCH_ARGS:-}" >"$root/bench.args"
else
	# Modules of the kernel under test (KDIR), loaded by /init at boot.
	if [ -n "${KDIR:-}" ] && [ -f "$top/$KDIR/arch/x86/kvm/kvm-amd.ko" ]; then
		mkdir -p "$root/lib/modules"
		cp "$top/$KDIR/arch/x86/kvm/kvm-amd.ko" "$root/lib/modules/"
	fi
	grep -v '^[[:space:]]*\(#\|$\)' "$list" | while read -r name limit args; do
		if [ -n "${TESTS:-}" ]; then
			case " $TESTS " in
			*" $name "* | *" $(basename "$name") "*) ;;
			*) continue ;;
			esac
		fi
		mkdir -p "$root/kvm/$(dirname "$name")"
		case $name in
		bench/*) cp "$top/build/$name" "$root/kvm/$name" ;;
		mainline/*) cp "$top/build/selftests-${MAINLINE:-6.12}/kvm/${name#mainline/}" "$root/kvm/$name" ;;
		*) cp "$selftests/kvm/$name" "$root/kvm/$name" ;;
		esac
		echo "$name $((limit * scale)) $args"
	done >"$root/tests.list"
	if [ -n "${TESTS:-}" ] && [ ! -s "$root/tests.list" ]; then
		echo "No test in ${list#"$top"/} matches TESTS=\"$TESTS\"." >&2
		exit 1
	fi
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$root.cpio.gz"
echo "== packed ${root#"$top"/}.cpio.gz ($(du -h "$root.cpio.gz" | cut -f1))"
