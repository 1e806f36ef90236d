#!/bin/sh
# Print the path of a static arm64 busybox for the arm64 initramfs: Debian's
# busybox-static:arm64, unpacked into build/busybox-arm64 the first time.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/busybox-arm64
bb=$dir/bin/busybox
if [ ! -x "$bb" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "arm64 packages are not enabled. Run as root:" >&2
			echo "  dpkg --add-architecture arm64 && apt-get update" >&2
			exit 1
		fi
		echo "== enabling arm64 packages (dpkg --add-architecture arm64)" >&2
		dpkg --add-architecture arm64
		apt-get update -q >/dev/null
	fi
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q busybox-static:arm64 >/dev/null 2>&1) || {
		echo "apt-get download busybox-static:arm64 failed: run apt-get update?" >&2
		exit 1
	}
	mkdir -p "$dir"
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$dir"
	rm -rf "$tmp"
fi
echo "$bb"
