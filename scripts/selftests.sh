#!/bin/sh
# Build the KVM selftests listed in config/tests, statically linked, into
# build/selftests against the UAPI headers of the test kernel's tree.
# Usage: selftests.sh [--headers-only]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$top/build/linux
out=$top/build/selftests
hdr=$top/build/headers
[ -d "$tree" ] || { echo "No build/linux: run make tree first." >&2; exit 1; }
"$top/scripts/need.sh" gcc make libc6-dev rsync

# Headers are installed from a separate output directory: "make headers" in
# the source tree would make every later O= build refuse to run.
echo "== installing UAPI headers into build/headers"
mkdir -p "$hdr"
make -s -C "$tree" O="$hdr" ARCH=x86_64 INSTALL_HDR_PATH="$hdr/usr" headers_install >/dev/null

[ "${1:-}" != --headers-only ] || exit 0

# bench/ programs in config/tests are built by make bench-progs, mainline/
# ones by mainline-selftests.sh.
targets=$(grep -v '^[[:space:]]*\(#\|$\)' "$top/config/tests" | grep -v '^\(bench\|mainline\)/' |
	awk -v o="$out/kvm" '{print o "/" $1}')
echo "== building $(echo "$targets" | wc -l) KVM selftests (static) into build/selftests/kvm"
mkdir -p "$out/kvm"
# shellcheck disable=SC2086
if ! make -C "$tree/tools/testing/selftests/kvm" -j"$(nproc)" OUTPUT="$out/kvm" \
	INSTALL_HDR_PATH="$hdr/usr" KHDR_INCLUDES="-isystem $hdr/usr/include" \
	EXTRA_CFLAGS=-static $targets >"$top/build/selftests.log" 2>&1; then
	grep -E 'error|Error' "$top/build/selftests.log" | head -30 >&2
	echo "Selftest build failed: see build/selftests.log" >&2
	exit 1
fi
echo "== selftests ready"
