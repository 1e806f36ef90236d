#!/bin/sh
# Build the x86_64 test kernel: tinyconfig + config/test.config
# (+ config/debug.config with DEBUG=1) in build/kernel[-debug].
# PEER=6.12 builds build/linux-6.12 (see peer-tree.sh) with the same
# fragment into build/kernel-6.12 instead.  ARCH=arm64 cross-builds the
# arm64 test kernel (config/arm64-test.config) in build/kernel-arm64.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$top/build/linux
debug=${DEBUG:-0}
peer=${PEER:-}
arch=${ARCH:-x86_64}
image=arch/x86/boot/bzImage
cross=
if [ "$arch" = arm64 ]; then
	if [ -n "$peer" ]; then
		echo "ARCH=arm64 has no PEER= kernel: run make bench PEER=... for x86_64." >&2
		exit 1
	fi
	out=$top/build/kernel-arm64
	fragments="$top/config/arm64-test.config"
	if [ "$debug" != 0 ]; then
		out=$top/build/kernel-arm64-debug
		fragments="$fragments $top/config/debug-arm64.config"
	fi
	image=arch/arm64/boot/Image
	cross=aarch64-linux-gnu-
	"$top/scripts/need.sh" gcc-aarch64-linux-gnu
elif [ -n "$peer" ]; then
	tree=$top/build/linux-$peer
	out=$top/build/kernel-$peer
	fragments="$top/config/test.config"
elif [ "$debug" = 1 ]; then
	out=$top/build/kernel-debug
	fragments="$top/config/test.config $top/config/debug.config"
else
	out=$top/build/kernel
	fragments="$top/config/test.config"
fi
[ -d "$tree" ] || { echo "No ${tree#"$top"/}: run make tree first." >&2; exit 1; }
"$top/scripts/need.sh" gcc make flex bison bc libelf-dev libssl-dev cpio ccache
mkdir -p "$out"

cc=${cross}gcc
hostcc=gcc
command -v ccache >/dev/null && cc="ccache $cc" && hostcc="ccache gcc"
kmake() { make -C "$tree" O="$out" ARCH="$arch" CROSS_COMPILE="$cross" CC="$cc" HOSTCC="$hostcc" "$@"; }

# Regenerate .config only when a fragment (or the tree's Kconfig) changed, so
# an unchanged config never triggers a rebuild.
stamp=$(cat $fragments "$tree/.git/HEAD" 2>/dev/null | cksum)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.config-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "== configuring $(basename "$out") from tinyconfig +$(for f in $fragments; do printf ' %s' "config/$(basename "$f")"; done)"
	kmake -s tinyconfig >/dev/null
	KCONFIG_CONFIG=$out/.config "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" $fragments >"$out/merge.log" 2>&1
	kmake -s olddefconfig >/dev/null
	# merge_config.sh drops options whose dependencies are off with only a
	# warning: insist on every option the fragments ask for.
	bad=0
	for f in $fragments; do
		grep -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "$f" | while read -r line; do
			grep -qxF "$line" "$out/.config" && continue
			# A later fragment may set the option otherwise (debug.config).
			opt=${line#\# }
			opt=${opt%%[= ]*}
			overridden=0
			for g in $fragments; do
				[ "$g" = "$f" ] && { overridden=1; continue; }
				[ "$overridden" = 1 ] && grep -qE "^(# )?$opt[= ]" "$g" && overridden=2
			done
			[ "$overridden" = 2 ] && continue
			# The peer lacks options our series adds: those may be missing.
			if [ -n "$peer" ] && ! grep -rqx "config ${opt#CONFIG_}" --include='Kconfig*' "$tree"; then
				echo "note: $opt does not exist in linux-$peer" >&2
				continue
			fi
			{ echo "config: wanted '$line' ($(basename "$f")), got: $(grep -E "^(# )?${line%%=*}[= ]" "$out/.config" || echo unset)"; }
		done
	done >"$out/config-mismatch"
	if [ -s "$out/config-mismatch" ]; then
		cat "$out/config-mismatch" >&2
		echo "Fix config/*.config (an option's dependencies are off?)." >&2
		rm -f "$out/.config-stamp"
		exit 1
	fi
	echo "$stamp" >"$out/.config-stamp"
fi

echo "== building $(basename "$out")/$image (make -j$(nproc); log in build/$(basename "$out").log)"
start=$(date +%s)
log=$top/build/$(basename "$out").log
# The debug kernel has modules (kvm_amd, for the module lifetime test).
targets=$(basename "$image")
grep -q '^CONFIG_MODULES=y' "$out/.config" && targets="$targets modules"
# shellcheck disable=SC2086
kmake -j"$(nproc)" $targets >"$log" 2>&1 &
pid=$!
while sleep 30 && kill -0 "$pid" 2>/dev/null; do
	echo "   ... $(($(date +%s) - start)) s: $(tail -n 1 "$log")"
done
if ! wait "$pid"; then
	grep -E 'error|Error' "$top/build/$(basename "$out").log" | head -30 >&2
	echo "Kernel build failed: see build/$(basename "$out").log" >&2
	exit 1
fi
grep -E 'warning:' "$top/build/$(basename "$out").log" | head -20 || true
echo "== kernel ready in $(($(date +%s) - start)) s: build/$(basename "$out")/$image"
