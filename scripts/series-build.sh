#!/bin/sh
# Check that the series is bisectable and builds in every configuration it
# must: each commit of base..HEAD with the test config (KVM=y), and HEAD
# with KVM=m (and SEV), with KVM off, and for arm64 (cross). Builds happen in a separate worktree
# (build/series) so build/linux and its outputs are left alone.
# HEAD_ONLY=1 skips the per-commit builds; SINCE=<commit> builds only the
# commits after it (e.g. the ones a session added).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$top/build/linux
wt=$top/build/series
out=$top/build/series-out
[ -d "$tree/.git" ] || { echo "No build/linux: run make tree first." >&2; exit 1; }
"$top/scripts/need.sh" gcc make flex bison bc libelf-dev libssl-dev ccache

cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
# What configure and build make: x86_64 until the arm64 build at the end.
karch=x86_64 kcross="" kcc=$cc image=bzImage
# The worktree goes stale when make tree recreates build/linux: recreate it.
git -C "$tree" worktree prune
if ! git -C "$wt" rev-parse --git-dir >/dev/null 2>&1; then
	rm -rf "$wt"
	git -C "$tree" worktree add -q --detach "$wt" base
fi

# configure NAME FRAGMENT...: tinyconfig plus fragments in $out/NAME.
configure() {
	name=$1
	shift
	mkdir -p "$out/$name"
	kmake "$name" tinyconfig >/dev/null
	KCONFIG_CONFIG=$out/$name/.config "$wt/scripts/kconfig/merge_config.sh" -m \
		-O "$out/$name" "$out/$name/.config" "$@" >/dev/null 2>&1
	kmake "$name" olddefconfig >/dev/null
}

# kmake NAME ARGS...: make in the worktree for $out/NAME.
kmake() {
	dir=$1
	shift
	make -s -C "$wt" O="$out/$dir" ARCH="$karch" CROSS_COMPILE="$kcross" CC="$kcc" HOSTCC="$cc" "$@"
}

# build NAME WHAT: build the configured tree, report and stop on failure.
build() {
	if kmake "$1" -j"$(nproc)" "$image" >"$out/$1.log" 2>&1; then
		echo "ok:   $2"
	else
		grep -E 'error|Error' "$out/$1.log" | head -20
		echo "FAIL: $2 (log: build/series-out/$1.log)"
		exit 1
	fi
}

mkdir -p "$out"
# KVM=m also builds the SEV code (no SEV hardware here: compile only).
printf 'CONFIG_KVM=m\nCONFIG_KVM_AMD=m\nCONFIG_KVM_INTEL=m\nCONFIG_MODULES=y\n' >"$out.kvm-m.config"
printf 'CONFIG_CRYPTO=y\nCONFIG_CRYPTO_HW=y\nCONFIG_CRYPTO_DEV_CCP=y\nCONFIG_CRYPTO_DEV_CCP_DD=m\nCONFIG_CRYPTO_DEV_SP_PSP=y\n' >>"$out.kvm-m.config"
printf '# CONFIG_VIRTUALIZATION is not set\n# CONFIG_KVM is not set\n' >"$out.kvm-off.config"

commits=$(git -C "$tree" rev-list --reverse "${SINCE:-base}..HEAD")
[ "${HEAD_ONLY:-0}" = 1 ] && commits=""
for c in $commits; do
	git -C "$wt" checkout -q --detach "$c"
	subject=$(git -C "$wt" log -1 --format=%s)
	configure each "$top/config/test.config"
	build each "$subject"
done
git -C "$wt" checkout -q --detach "$(git -C "$tree" rev-parse HEAD)"
configure kvm-m "$top/config/test.config" "$out.kvm-m.config"
grep -q '^CONFIG_KVM=m' "$out/kvm-m/.config" || { echo "FAIL: KVM=m did not stick"; exit 1; }
grep -q '^CONFIG_KVM_AMD_SEV=y' "$out/kvm-m/.config" || { echo "FAIL: KVM_AMD_SEV did not stick"; exit 1; }
build kvm-m "HEAD with CONFIG_KVM=m"
kmake kvm-m -j"$(nproc)" modules >>"$out/kvm-m.log" 2>&1 ||
	{ echo "FAIL: modules with CONFIG_KVM=m"; exit 1; }
echo "ok:   HEAD modules with CONFIG_KVM=m"
configure kvm-off "$top/config/test.config" "$out.kvm-off.config"
grep -q '^CONFIG_KVM=' "$out/kvm-off/.config" && { echo "FAIL: KVM still on"; exit 1; }
build kvm-off "HEAD with KVM off"

# arm64 (KVM built in, guest_memfd-only memslots): cross-built.
"$top/scripts/need.sh" gcc-aarch64-linux-gnu
karch=arm64 kcross=aarch64-linux-gnu- image=Image
kcc=${kcross}gcc
command -v ccache >/dev/null && kcc="ccache $kcc"
configure arm64 "$top/config/arm64-test.config"
grep -q '^CONFIG_KVM_PRIVATE_MEM=y' "$out/arm64/.config" || { echo "FAIL: arm64 without guest_memfd"; exit 1; }
build arm64 "HEAD on arm64"
