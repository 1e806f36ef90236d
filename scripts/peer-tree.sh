#!/bin/sh
# Extract Debian's linux-source-<PEER> (default 6.12) into build/linux-<PEER>,
# unmodified: the kernel "make bench PEER=..." measures ours against.
# Nothing from this tree goes into the series.
# Usage: peer-tree.sh VERSION
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
peer=$1
tree=$top/build/linux-$peer
tarball=/usr/src/linux-source-$peer.tar.xz

[ -f "$tree/Makefile" ] && exit 0
"$top/scripts/need.sh" "linux-source-$peer" xz-utils
echo "== extracting linux-source-$peer $(dpkg-query -W -f='${Version}' "linux-source-$peer") into build/linux-$peer"
rm -rf "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
mv "$tree.tmp" "$tree"
