// SPDX-License-Identifier: GPL-2.0
/*
 * guest_memfd benchmarks, run inside the QEMU test guest by "make bench".
 *
 * Each measurement prints one line
 *
 *	@@ BENCH <row> <column> <value>
 *
 * where column "gmem" is guest_memfd, "base" is what VMMs use today
 * (memfd or anonymous memory) measured in the same run (for "prefault-"
 * rows: KVM_PRE_FAULT_MEMORY vs the guest's own faults), "ref" a reference
 * figure with nothing to compare, and value is seconds (kB for rows ending
 * in "-slab" or "-kB"). Rows starting with "nohuge-" were measured with
 * guest_memfd's 2 MiB folios turned off (kvm.gmem_2m_folios=N), where the
 * kernel has that switch. scripts/bench-table.sh turns the lines of
 * one or two kernels into a table. The program uses only UAPI that mainline
 * has too, so the same binary runs on the peer kernel.
 *
 * Usage: gmem_bench [-s] [-r RUNS]
 *	-s	smoke run: tiny sizes, one run (make check uses it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/kvm.h>

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define CODE_GPA 0x1000ULL
#define DATA_GPA 0x10000000ULL	/* 256 MiB: below it only the code page */

static int kvm_fd;
static int runs = 5;
static int smoke;

static void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "gmem_bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "nohuge-" while 2 MiB folios are off; 1 if the kernel has the switch. */
static const char *prefix = "";
static int has_switch;

static void report(const char *row, const char *col, double value)
{
	printf("@@ BENCH %s%s %s %.6f\n", prefix, row, col, value);
	fflush(stdout);
}

static long slab_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static const char *size_name(uint64_t size)
{
	static char buf[4][16];
	static int i;

	i = (i + 1) % 4;
	if (size >= GiB)
		snprintf(buf[i], sizeof(buf[i]), "%lluG", (unsigned long long)(size / GiB));
	else
		snprintf(buf[i], sizeof(buf[i]), "%lluM", (unsigned long long)(size / MiB));
	return buf[i];
}

static int create_vm(unsigned long type)
{
	int vm = ioctl(kvm_fd, KVM_CREATE_VM, type);

	if (vm < 0)
		die("KVM_CREATE_VM(%lu)", type);
	return vm;
}

static int create_gmem(int vm, uint64_t size)
{
	struct kvm_create_guest_memfd args = { .size = size };
	int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	if (fd < 0)
		die("KVM_CREATE_GUEST_MEMFD(%s)", size_name(size));
	return fd;
}

static void set_region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		       void *hva, int gmem)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
		.guest_memfd = gmem, .guest_memfd_offset = 0,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r))
		die("KVM_SET_USER_MEMORY_REGION2(slot %u, %s)", slot, size_name(size));
}

static void set_attributes(int vm, uint64_t gpa, uint64_t size, uint64_t attributes)
{
	struct kvm_memory_attributes a = {
		.address = gpa, .size = size, .attributes = attributes,
	};

	if (ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a))
		die("KVM_SET_MEMORY_ATTRIBUTES(%s, 0x%llx)", size_name(size),
		    (unsigned long long)attributes);
}

static void punch(int fd, uint64_t size)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, size))
		die("fallocate(PUNCH_HOLE, %s)", size_name(size));
}

static void *map_anon(uint64_t size, int advice)
{
	uint8_t *p = mmap(NULL, size + 2 * MiB, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap(%s)", size_name(size));
	/* 2 MiB aligned, so that THP can back all of it. */
	p = (uint8_t *)(((uintptr_t)p + 2 * MiB - 1) & ~(2 * MiB - 1));
	if (advice >= 0 && madvise(p, size, advice))
		die("madvise(%d)", advice);
	return p;
}

/* Time fallocate() of all of @fd, then punching it all out again. */
static void populate_and_punch(int fd, uint64_t size, const char *populate,
			       const char *punched, const char *col)
{
	double t = now();

	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size))
		die("fallocate(%s, %s)", col, size_name(size));
	report(populate, col, now() - t);
	t = now();
	punch(fd, size);
	report(punched, col, now() - t);
}

/* 1. populate / punch: guest_memfd vs memfd (shmem). */
static void bench_populate(uint64_t size)
{
	char populate[32], punched[32];
	int vm = create_vm(KVM_X86_SW_PROTECTED_VM);
	int gmem = create_gmem(vm, size);
	int memfd = memfd_create("bench", 0);

	if (memfd < 0 || ftruncate(memfd, size))
		die("memfd(%s)", size_name(size));
	snprintf(populate, sizeof(populate), "populate-%s", size_name(size));
	snprintf(punched, sizeof(punched), "punch-%s", size_name(size));
	for (int i = 0; i < runs; i++) {
		populate_and_punch(gmem, size, populate, punched, "gmem");
		populate_and_punch(memfd, size, populate, punched, "base");
	}
	close(memfd);
	close(gmem);
	close(vm);
}

/*
 * The fault-in guest: 32-bit protected mode, flat segments, no paging, so
 * it addresses guest physical memory directly. It writes AL to one byte per
 * 4 KiB page from EDI on, ECX pages, then halts:
 *
 *	0:	mov	%al, (%edi)
 *	2:	add	$0x1000, %edi
 *	8:	loop	0
 *	a:	hlt
 */
static const uint8_t touch_pages[] = {
	0x88, 0x07, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, 0xe2, 0xf6, 0xf4,
};

struct guest {
	int vm, vcpu;
	struct kvm_run *run;
	int run_size;
	uint8_t *code;
	uint64_t size;
};

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	*s = (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .db = 1, .s = 1, .g = 1,
	};
}

static struct guest new_guest(unsigned long type, uint64_t size)
{
	struct guest g = { .vm = create_vm(type), .size = size };
	struct kvm_sregs sregs;

	g.code = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g.code == MAP_FAILED)
		die("mmap(code)");
	memcpy(g.code, touch_pages, sizeof(touch_pages));
	set_region(g.vm, 0, 0, CODE_GPA, 0x1000, g.code, 0);

	g.vcpu = ioctl(g.vm, KVM_CREATE_VCPU, 0);
	if (g.vcpu < 0)
		die("KVM_CREATE_VCPU");
	g.run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	g.run = mmap(NULL, g.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g.vcpu, 0);
	if (g.run == MAP_FAILED)
		die("mmap(kvm_run)");
	if (ioctl(g.vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	flat_segment(&sregs.cs, 8, 0xb);
	flat_segment(&sregs.ds, 16, 0x3);
	sregs.es = sregs.ss = sregs.fs = sregs.gs = sregs.ds;
	sregs.cr0 |= 1;		/* PE, no PG */
	if (ioctl(g.vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	return g;
}

/* Run the guest over all its data pages; returns the time it took. */
static double touch_all(struct guest *g)
{
	struct kvm_regs regs = {
		.rip = CODE_GPA, .rflags = 2, .rax = 1,
		.rdi = DATA_GPA, .rcx = g->size / 4096,
	};
	double t;

	if (ioctl(g->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	t = now();
	if (ioctl(g->vcpu, KVM_RUN, 0))
		die("KVM_RUN");
	t = now() - t;
	if (g->run->exit_reason != KVM_EXIT_HLT) {
		errno = EIO;
		die("guest exit reason %u", g->run->exit_reason);
	}
	return t;
}

/* The VM goes once its last reference does (a guest_memfd keeps one). */
static void close_guest(struct guest *g)
{
	munmap(g->run, g->run_size);	/* the mapping keeps the vCPU, so the VM */
	close(g->vcpu);
	close(g->vm);
	munmap(g->code, 0x1000);
}

/* Guest whose data is private memory from a guest_memfd. */
static struct guest private_guest(uint64_t size, int *gmem, void **shared)
{
	struct guest g = new_guest(KVM_X86_SW_PROTECTED_VM, size);

	*gmem = create_gmem(g.vm, size);
	/* The shared half of the slot; never touched. */
	*shared = map_anon(size, -1);
	set_region(g.vm, 1, KVM_MEM_GUEST_MEMFD, DATA_GPA, size, *shared, *gmem);
	set_attributes(g.vm, DATA_GPA, size, KVM_MEMORY_ATTRIBUTE_PRIVATE);
	return g;
}

/* Guest whose data is anonymous memory in a default VM, as VMMs do today. */
static struct guest shared_guest(uint64_t size, int advice, void **mem)
{
	struct guest g = new_guest(0, size);

	*mem = map_anon(size, advice);
	set_region(g.vm, 1, 0, DATA_GPA, size, *mem, -1);
	return g;
}

/* 2. fault-in: cold = memory freed before each run, warm = memory kept, mappings dropped. */
static void bench_fault_in(uint64_t size)
{
	static const struct { const char *name; int advice; } shared[] = {
		{ "4k", MADV_NOHUGEPAGE }, { "thp", MADV_HUGEPAGE },
	};
	char cold[32], warm[32];
	struct guest g;
	void *mem;
	int gmem;

	g = private_guest(size, &gmem, &mem);
	for (int i = 0; i < runs; i++) {
		punch(gmem, size);
		double t = touch_all(&g);

		for (int s = 0; s < 2; s++) {
			snprintf(cold, sizeof(cold), "fault-cold-%s-vs-%s", size_name(size), shared[s].name);
			report(cold, "gmem", t);
		}
	}
	for (int i = 0; i < runs; i++) {
		/* Deleting the memslot frees nothing; re-adding it maps nothing. */
		set_region(g.vm, 1, KVM_MEM_GUEST_MEMFD, DATA_GPA, 0, mem, gmem);
		set_region(g.vm, 1, KVM_MEM_GUEST_MEMFD, DATA_GPA, size, mem, gmem);
		double t = touch_all(&g);

		for (int s = 0; s < 2; s++) {
			snprintf(warm, sizeof(warm), "fault-warm-%s-vs-%s", size_name(size), shared[s].name);
			report(warm, "gmem", t);
		}
	}
	close_guest(&g);
	close(gmem);
	munmap(mem, size);

	for (int s = 0; s < 2; s++) {
		snprintf(cold, sizeof(cold), "fault-cold-%s-vs-%s", size_name(size), shared[s].name);
		snprintf(warm, sizeof(warm), "fault-warm-%s-vs-%s", size_name(size), shared[s].name);
		g = shared_guest(size, shared[s].advice, &mem);
		for (int i = 0; i < runs; i++) {
			if (madvise(mem, size, MADV_DONTNEED))
				die("madvise(DONTNEED)");
			report(cold, "base", touch_all(&g));
		}
		for (int i = 0; i < runs; i++) {
			set_region(g.vm, 1, 0, DATA_GPA, 0, mem, -1);
			set_region(g.vm, 1, 0, DATA_GPA, size, mem, -1);
			report(warm, "base", touch_all(&g));
		}
		close_guest(&g);
		munmap(mem, size);
	}
}

/* Pre-fault all of @g's data with KVM_PRE_FAULT_MEMORY; returns the time it took. */
static double pre_fault_all(struct guest *g)
{
	struct kvm_pre_fault_memory r = { .gpa = DATA_GPA, .size = g->size };
	double t = now();

	while (r.size) {
		uint64_t left = r.size;

		if (ioctl(g->vcpu, KVM_PRE_FAULT_MEMORY, &r)) {
			if (errno != EINTR)
				die("KVM_PRE_FAULT_MEMORY(%s)", size_name(g->size));
		} else if (r.size == left) {
			errno = EIO;
			die("KVM_PRE_FAULT_MEMORY(%s) succeeded without progress",
			    size_name(g->size));
		}
	}
	return now() - t;
}

/*
 * 2b. pre-fault: KVM_PRE_FAULT_MEMORY of all the data vs the guest faulting
 * the same memory in.  Private: cold (freed before each run).  Shared: 4 KiB
 * anonymous memory the host has written, so that both map the same pages
 * (a pre-fault of untouched anonymous memory maps the zero page).
 */
static void bench_pre_fault(uint64_t size)
{
	char row[32];
	struct guest g;
	void *mem;
	int gmem;

	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PRE_FAULT_MEMORY) <= 0) {
		printf("gmem_bench: no KVM_PRE_FAULT_MEMORY here, pre-fault rows skipped\n");
		return;
	}
	snprintf(row, sizeof(row), "prefault-private-%s", size_name(size));
	g = private_guest(size, &gmem, &mem);
	for (int i = 0; i < runs; i++) {
		punch(gmem, size);
		report(row, "gmem", pre_fault_all(&g));
		punch(gmem, size);
		report(row, "base", touch_all(&g));
	}
	close_guest(&g);
	close(gmem);
	munmap(mem, size);

	snprintf(row, sizeof(row), "prefault-shared-%s", size_name(size));
	g = shared_guest(size, MADV_NOHUGEPAGE, &mem);
	memset(mem, 1, size);
	for (int i = 0; i < runs; i++) {
		/* Deleting and re-adding the memslot drops KVM's mappings only. */
		set_region(g.vm, 1, 0, DATA_GPA, 0, mem, -1);
		set_region(g.vm, 1, 0, DATA_GPA, size, mem, -1);
		report(row, "gmem", pre_fault_all(&g));
		set_region(g.vm, 1, 0, DATA_GPA, 0, mem, -1);
		set_region(g.vm, 1, 0, DATA_GPA, size, mem, -1);
		report(row, "base", touch_all(&g));
	}
	close_guest(&g);
	munmap(mem, size);
}

/* 3. conversion: no memslots, no memory; attributes only. */
static void bench_conversion(const uint64_t *sizes, int nr)
{
	char row[32];

	for (int s = 0; s < nr; s++) {
		uint64_t size = sizes[s];
		int vm = create_vm(KVM_X86_SW_PROTECTED_VM);
		long slab0 = slab_kb();
		double t;

		t = now();
		set_attributes(vm, 0, size, KVM_MEMORY_ATTRIBUTE_PRIVATE);
		snprintf(row, sizeof(row), "to-private-%s", size_name(size));
		report(row, "gmem", now() - t);
		snprintf(row, sizeof(row), "to-private-%s-slab", size_name(size));
		report(row, "gmem", slab_kb() - slab0);

		snprintf(row, sizeof(row), "convert-%s", size_name(size));
		for (int i = 0; i < runs; i++) {
			t = now();
			set_attributes(vm, 0, size, 0);
			set_attributes(vm, 0, size, KVM_MEMORY_ATTRIBUTE_PRIVATE);
			report(row, "gmem", now() - t);
		}

		/* One shared page out of the middle, then back. */
		for (int i = 0; i < runs; i++) {
			t = now();
			set_attributes(vm, size / 2, 4096, 0);
			snprintf(row, sizeof(row), "split-%s", size_name(size));
			report(row, "gmem", now() - t);
			t = now();
			set_attributes(vm, size / 2, 4096, KVM_MEMORY_ATTRIBUTE_PRIVATE);
			snprintf(row, sizeof(row), "merge-%s", size_name(size));
			report(row, "gmem", now() - t);
		}
		close(vm);
	}
}

/* 4. teardown of a VM with populated memory: guest_memfd vs anonymous 4 KiB. */
static void bench_teardown(uint64_t size)
{
	char row[32];
	struct guest g;
	void *mem;
	int gmem;
	double t;

	snprintf(row, sizeof(row), "teardown-%s", size_name(size));
	for (int i = 0; i < runs; i++) {
		g = private_guest(size, &gmem, &mem);
		touch_all(&g);
		t = now();
		close_guest(&g);
		close(gmem);		/* the last reference: VM and memory go */
		report(row, "gmem", now() - t);
		munmap(mem, size);

		g = shared_guest(size, MADV_NOHUGEPAGE, &mem);
		touch_all(&g);
		t = now();
		close_guest(&g);
		munmap(mem, size);
		report(row, "base", now() - t);
	}
}

/* Turn guest_memfd's 2 MiB folios on or off; 0 if there is no switch. */
static int set_2m_folios(int on)
{
	int fd = open("/sys/module/kvm/parameters/gmem_2m_folios", O_WRONLY);

	if (fd < 0)
		return 0;
	if (write(fd, on ? "Y" : "N", 1) != 1)
		die("write kvm.gmem_2m_folios");
	close(fd);
	prefix = on ? "" : "nohuge-";
	return 1;
}

static long meminfo_kb(const char *name)
{
	char line[128];
	size_t len = strlen(name);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			kb = atol(line + len + 1);
	fclose(f);
	return kb;
}

/* 6. How much of the kernel's direct map faulting in private memory splits into 4 KiB pages. */
static void bench_directmap(uint64_t size)
{
	char row[32];
	struct guest g;
	void *mem;
	int gmem;
	long kb;

	g = private_guest(size, &gmem, &mem);
	kb = meminfo_kb("DirectMap4k");
	touch_all(&g);
	snprintf(row, sizeof(row), "directmap-%s-kB", size_name(size));
	report(row, "gmem", meminfo_kb("DirectMap4k") - kb);
	close_guest(&g);
	close(gmem);
	munmap(mem, size);
}

/*
 * 7. One 4 KiB page private->shared->private inside a 2 MiB range the guest
 * has mapped, until all of it is mapped again: with 2 MiB folios ("gmem")
 * against 4 KiB folios ("base"), where the kernel can switch.
 */
static void bench_convert_page(void)
{
	uint64_t size = 2 * MiB, page = DATA_GPA + 7 * 4096;
	struct guest g;
	void *mem;
	int gmem;
	double t;

	for (int on = has_switch ? 0 : 1; on < 2; on++) {
		set_2m_folios(on);
		prefix = "";
		g = private_guest(size, &gmem, &mem);
		touch_all(&g);
		for (int i = 0; i < runs; i++) {
			t = now();
			set_attributes(g.vm, page, 4096, 0);
			set_attributes(g.vm, page, 4096, KVM_MEMORY_ATTRIBUTE_PRIVATE);
			touch_all(&g);
			report("convpage-2M", on ? "gmem" : "base", now() - t);
		}
		close_guest(&g);
		close(gmem);
		munmap(mem, size);
	}
}

/* 5. memset bandwidth in this (QEMU) guest: what the emulated machine does. */
static void bench_memset(uint64_t size)
{
	char row[32];
	void *mem = map_anon(size, MADV_NOHUGEPAGE);
	double t;

	memset(mem, 1, size);
	snprintf(row, sizeof(row), "memset-%s", size_name(size));
	for (int i = 0; i < runs; i++) {
		t = now();
		memset(mem, i, size);
		report(row, "ref", now() - t);
	}
	munmap(mem, size);
}

int main(int argc, char **argv)
{
	static const uint64_t conv_sizes[] = { 64 * MiB, GiB, 16 * GiB, 64 * GiB };
	uint64_t fault_size = 256 * MiB;
	int opt;

	while ((opt = getopt(argc, argv, "sr:")) != -1) {
		if (opt == 's')
			smoke = 1;
		else if (opt == 'r')
			runs = atoi(optarg);
		else {
			fprintf(stderr, "usage: %s [-s] [-r RUNS]\n", argv[0]);
			return 2;
		}
	}
	if (smoke) {
		runs = 1;
		fault_size = 4 * MiB;
	}
	if (runs < 1)
		runs = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	if (!(ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES) & (1 << KVM_X86_SW_PROTECTED_VM)) ||
	    ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0) {
		printf("gmem_bench: no guest_memfd for software-protected VMs here (skipped)\n");
		return 4;
	}
	printf("@@ BENCH-INFO runs=%d smoke=%d\n", runs, smoke);

	has_switch = set_2m_folios(1);
	bench_populate(smoke ? 4 * MiB : 256 * MiB);
	bench_populate(smoke ? 8 * MiB : GiB);
	bench_fault_in(fault_size);
	bench_pre_fault(fault_size);
	bench_directmap(smoke ? 8 * MiB : GiB);
	bench_convert_page();
	bench_conversion(conv_sizes, smoke ? 2 : 4);
	bench_teardown(fault_size);
	bench_memset(fault_size);

	/* The same with 4 KiB folios only, for comparison. */
	if (has_switch) {
		set_2m_folios(0);
		bench_populate(smoke ? 8 * MiB : GiB);
		bench_fault_in(fault_size);
		bench_directmap(smoke ? 8 * MiB : GiB);
		bench_teardown(fault_size);
		set_2m_folios(1);
	}
	printf("@@ BENCH-DONE\n");
	return 0;
}
