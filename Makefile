# guest_memfd for Linux 6.1: build the patched kernel, boot it in QEMU, test it.
# See README.md. Everything generated goes to build/.

DEBUG ?= 0
TESTS ?=
FORCE ?= 0
HEAD_ONLY ?= 0
SINCE ?=
PEER ?=
RUNS ?= 5
# x86_64, or arm64: make check ARCH=arm64 (cross-built, see check-arm64).
ARCH ?= x86_64

ifeq ($(DEBUG),1)
KDIR := build/kernel-debug
SCALE := 6
BOOT_MARGIN := 600
else
KDIR := build/kernel
SCALE := 1
BOOT_MARGIN := 180
endif
BZIMAGE := $(KDIR)/arch/x86/boot/bzImage
LOG := build/console-$(if $(filter 1,$(DEBUG)),debug,test).log

.PHONY: all tree export kernel selftests demo bench-progs check check-arm64 run bench checkpatch series-build clean

all: check

# The kernel tree: created on demand, rebuilt only when asked.
build/linux/.git:
	scripts/tree.sh

tree:
	scripts/tree.sh $(if $(filter 1,$(FORCE)),--force)

export:
	scripts/export.sh

kernel: build/linux/.git
	PEER= DEBUG=$(DEBUG) ARCH=$(ARCH) scripts/kernel.sh

selftests: build/linux/.git
	ARCH=$(ARCH) scripts/selftests.sh
ifneq ($(ARCH),arm64)
	scripts/mainline-selftests.sh
endif

demo: build/linux/.git
	scripts/selftests.sh --headers-only
	gcc -O2 -Wall -static -isystem build/headers/usr/include -o demo/vmm demo/vmm.c

# The benchmark programs: static, against the test kernel's UAPI headers.
bench-progs: build/linux/.git
	scripts/selftests.sh --headers-only
	mkdir -p build/bench
	gcc -O2 -Wall -static -isystem build/headers/usr/include -o build/bench/gmem_bench bench/gmem_bench.c

ifeq ($(ARCH),arm64)
check: check-arm64
else
check: kernel selftests bench-progs
	TESTS="$(TESTS)" TIMEOUT_SCALE=$(SCALE) KDIR=$(KDIR) scripts/initramfs.sh check
	QEMU_NUMA=2 scripts/boot.sh $(BZIMAGE) build/initramfs-check.cpio.gz $(LOG) \
		$$(( $$(awk '{ s += $$2 } END { print s }' build/initramfs-check/tests.list) + $(BOOT_MARGIN) ))
	scripts/report.sh $(LOG)
endif

# arm64: the kernel and the selftests of config/tests-arm64, cross-built,
# run twice in qemu-system-aarch64: KVM in VHE mode, then in protected
# mode (pKVM, kvm-arm.mode=protected).  DEBUG=1: the same with
# config/debug-arm64.config, logs in build/console-arm64-debug-*.log.
ARM64_LIMIT = $$(( $$(awk '{ s += $$2 } END { print s }' build/initramfs-check-arm64/tests.list) + 300 ))
ARM64_NAME = arm64$(if $(filter 1,$(DEBUG)),-debug)
ARM64_IMAGE = build/kernel-$(ARM64_NAME)/arch/arm64/boot/Image
check-arm64: build/linux/.git
	ARCH=arm64 DEBUG=$(DEBUG) scripts/kernel.sh
	ARCH=arm64 scripts/selftests.sh
	ARCH=arm64 TESTS="$(TESTS)" scripts/initramfs.sh check
	ARCH=arm64 scripts/boot.sh $(ARM64_IMAGE) \
		build/initramfs-check-arm64.cpio.gz build/console-$(ARM64_NAME)-vhe.log $(ARM64_LIMIT)
	ARCH=arm64 CMDLINE=kvm-arm.mode=protected scripts/boot.sh $(ARM64_IMAGE) \
		build/initramfs-check-arm64.cpio.gz build/console-$(ARM64_NAME)-protected.log $(ARM64_LIMIT)
	NAME=$(ARM64_NAME) scripts/report-arm64.sh

run: kernel demo
	scripts/initramfs.sh run
	scripts/boot.sh $(BZIMAGE) build/initramfs-run.cpio.gz build/console-run.log 300
	scripts/demo-check.sh build/console-run.log

# Benchmarks on the test kernel (and, with PEER=6.12, on Debian's unmodified
# linux-source-6.12 built from the same fragment): one table, also written
# to build/bench-table.txt.  Multi-threaded TCG, as the published table
# was measured (no benchmark takes memory away from a running vCPU).
bench: kernel bench-progs
	BENCH_ARGS="-r $(RUNS)" scripts/initramfs.sh bench
	QEMU_ACCEL=tcg QEMU_MEM=4G scripts/boot.sh $(BZIMAGE) build/initramfs-bench.cpio.gz build/console-bench.log 3600
ifneq ($(PEER),)
	scripts/peer-tree.sh $(PEER)
	PEER=$(PEER) scripts/kernel.sh
	QEMU_ACCEL=tcg QEMU_MEM=4G scripts/boot.sh build/kernel-$(PEER)/arch/x86/boot/bzImage build/initramfs-bench.cpio.gz \
		build/console-bench-$(PEER).log 3600
endif
	scripts/bench-table.sh build/console-bench.log $(if $(PEER),build/console-bench-$(PEER).log) | tee build/bench-table.txt

checkpatch: build/linux/.git
	scripts/checkpatch.sh

# Every patch builds alone; HEAD builds with KVM=m and with KVM off.
series-build: build/linux/.git
	HEAD_ONLY=$(HEAD_ONLY) SINCE=$(SINCE) scripts/series-build.sh

clean:
	rm -rf build/kernel build/kernel-debug build/kernel-arm64 build/kernel-arm64-debug build/series-out build/selftests build/selftests-arm64 \
		build/headers build/headers-arm64 build/busybox-arm64 build/initramfs-* build/*.log demo/vmm build/bench
