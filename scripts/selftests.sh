#!/bin/sh
# Build the KVM selftests listed in config/tests, statically linked, into
# build/selftests against the UAPI headers of the test kernel's tree.
# ARCH=arm64 cross-builds those of config/tests-arm64 into
# build/selftests-arm64 (headers in build/headers-arm64).
# Usage: selftests.sh [--headers-only]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$top/build/linux
arch=${ARCH:-x86_64}
if [ "$arch" = arm64 ]; then
	out=$top/build/selftests-arm64
	hdr=$top/build/headers-arm64
	list=$top/config/tests-arm64
	crossargs="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
	"$top/scripts/need.sh" gcc-aarch64-linux-gnu libc6-dev-arm64-cross make rsync
else
	out=$top/build/selftests
	hdr=$top/build/headers
	list=$top/config/tests
	crossargs=
	"$top/scripts/need.sh" gcc make libc6-dev rsync
fi
[ -d "$tree" ] || { echo "No build/linux: run make tree first." >&2; exit 1; }

# Headers are installed from a separate output directory: "make headers" in
# the source tree would make every later O= build refuse to run.
echo "== installing UAPI headers into ${hdr#"$top"/}"
mkdir -p "$hdr"
make -s -C "$tree" O="$hdr" ARCH="$arch" INSTALL_HDR_PATH="$hdr/usr" headers_install >/dev/null

[ "${1:-}" != --headers-only ] || exit 0

# bench/ programs in config/tests are built by make bench-progs, mainline/
# ones by mainline-selftests.sh.
targets=$(grep -v '^[[:space:]]*\(#\|$\)' "$list" | grep -v '^\(bench\|mainline\)/' |
	awk -v o="$out/kvm" '{print o "/" $1}')
log=$top/build/$(basename "$out").log
echo "== building $(echo "$targets" | wc -l) KVM selftests (static) into ${out#"$top"/}/kvm"
mkdir -p "$out/kvm"
# shellcheck disable=SC2086
if ! make -C "$tree/tools/testing/selftests/kvm" -j"$(nproc)" OUTPUT="$out/kvm" \
	$crossargs \
	INSTALL_HDR_PATH="$hdr/usr" KHDR_INCLUDES="-isystem $hdr/usr/include" \
	EXTRA_CFLAGS=-static $targets >"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -30 >&2
	echo "Selftest build failed: see ${log#"$top"/}" >&2
	exit 1
fi
echo "== selftests ready"
