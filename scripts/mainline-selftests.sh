#!/bin/sh
# Build mainline's own selftests that config/tests names "mainline/...",
# unmodified, from Debian's linux-source-$MAINLINE (default 6.12, the same
# tree make bench PEER= measures against) and against that tree's own UAPI
# headers, statically, into build/selftests-$MAINLINE/kvm.  They check that
# programs written for mainline run unchanged on our kernel: not one line
# of them is ours.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
ver=${MAINLINE:-6.12}
tree=$top/build/linux-$ver
out=$top/build/selftests-$ver
hdr=$top/build/headers-$ver

targets=$(grep -v '^[[:space:]]*\(#\|$\)' "$top/config/tests" | awk '$1 ~ /^mainline\// {
	sub(/^mainline\//, "", $1); print $1 }')
[ -n "$targets" ] || exit 0

"$top/scripts/peer-tree.sh" "$ver"
"$top/scripts/need.sh" gcc make libc6-dev rsync

echo "== installing linux-$ver UAPI headers into build/headers-$ver"
mkdir -p "$hdr"
make -s -C "$tree" O="$hdr" ARCH=x86_64 INSTALL_HDR_PATH="$hdr/usr" headers_install >/dev/null

echo "== building $(echo "$targets" | wc -l) mainline $ver selftests (static) into build/selftests-$ver/kvm"
mkdir -p "$out/kvm"
# shellcheck disable=SC2086
if ! make -C "$tree/tools/testing/selftests/kvm" -j"$(nproc)" OUTPUT="$out/kvm" \
	INSTALL_HDR_PATH="$hdr/usr" KHDR_INCLUDES="-isystem $hdr/usr/include" \
	EXTRA_CFLAGS=-static $(echo "$targets" | sed "s|^|$out/kvm/|") \
	>"$top/build/selftests-$ver.log" 2>&1; then
	grep -E 'error|Error' "$top/build/selftests-$ver.log" | head -30 >&2
	echo "Building mainline $ver selftests failed: see build/selftests-$ver.log" >&2
	exit 1
fi
echo "== mainline $ver selftests ready"
