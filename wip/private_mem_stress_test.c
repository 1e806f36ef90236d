// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bounded race stress for guest_memfd: vCPUs write and read private memory
 * while host threads punch holes and re-allocate, flip attributes, delete
 * and re-add the memslot, and replace the guest_memfd with a new file.
 *
 * Guest invariant: a page reads zero (fresh, punched, or a new file) or a
 * value tagged with its own page number (the guest's writes, or the
 * host's shared data for that page), never another page's data.
 * Host invariant: afterwards, no guest_memfd memory is left (the
 * Unevictable count in /proc/meminfo is back where it started).
 *
 * Usage: private_mem_stress_test [seconds [mask]]  (default 30 s, mask 7)
 * mask bits: 1 punch thread, 2 attribute thread, 4 memslot/file thread,
 * 8 disable THP, 16 never replace or close the file, 32 trace KVM and dump
 * the trace on an unexpected exit, 64 shared memory only (no guest_memfd,
 * old memslot ioctl, punch = MADV_REMOVE): runs on any kernel.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/falloc.h>

#include <test_util.h>
#include <kvm_util.h>
#include <processor.h>

#define NR_VCPUS	2
#define TEST_SLOT	10
#define TEST_GPA	BIT_ULL(32)
#define TEST_PAGES	64
#define TEST_SIZE	(TEST_PAGES * PAGE_SIZE)
#define PAGES_PER_VCPU	(TEST_PAGES / NR_VCPUS)
#define TAG(page)	((uint64_t)((page) + 1) << 32)

static struct kvm_vm *vm;
static uint64_t *shared_mem;
static volatile bool stop;
static int churn_mask;

/* The current guest_memfd; replaced by the file thread under fd_lock. */
static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static int gmem_fd;

static unsigned long nr_punches, nr_flips, nr_memslot_cycles, nr_new_files;
static unsigned long nr_fault_exits[NR_VCPUS], nr_mmio_exits[NR_VCPUS];
static unsigned long nr_guest_rounds[NR_VCPUS];

static void guest_code(uint64_t first_page)
{
	uint64_t seq = 0, i;

	for (;;) {
		for (i = first_page; i < first_page + PAGES_PER_VCPU; i++) {
			uint64_t *p = (uint64_t *)(TEST_GPA + i * PAGE_SIZE);
			uint64_t v = READ_ONCE(*p);

			GUEST_ASSERT_2(!v || (v & ~0xffffffffull) == TAG(i), i, v);
			WRITE_ONCE(*p, TAG(i) | (++seq & 0xffffffff));
		}
		GUEST_SYNC(seq);
	}
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	int r;

	while (!stop) {
		r = _vcpu_run(vcpu);
		if (r) {
			/* Private memory missing for a moment: try again. */
			TEST_ASSERT(r == -1 && errno == EFAULT &&
				    run->exit_reason == KVM_EXIT_MEMORY_FAULT,
				    "vCPU %u: KVM_RUN %d errno %d exit %u", vcpu->id,
				    r, errno, run->exit_reason);
			nr_fault_exits[vcpu->id]++;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			/* The memslot is gone for a moment: reads see zero. */
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			nr_mmio_exits[vcpu->id]++;
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			nr_guest_rounds[vcpu->id]++;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT_2(uc, "page %lu read 0x%lx");
		default: {
			struct kvm_regs regs;
			struct kvm_sregs sregs;

			vcpu_regs_get(vcpu, &regs);
			vcpu_sregs_get(vcpu, &sregs);
			pr_info("vCPU %u: rip %llx rsp %llx rax %llx rcx %llx rdi %llx cr0 %llx cr2 %llx cr3 %llx cr4 %llx idt %llx gdt %llx tr %llx\n",
				vcpu->id, regs.rip, regs.rsp, regs.rax, regs.rcx, regs.rdi,
				sregs.cr0, sregs.cr2, sregs.cr3, sregs.cr4, sregs.idt.base,
				sregs.gdt.base, sregs.tr.base);
			if (churn_mask & 32) {
				stop = true;
				system("echo 0 > /sys/kernel/tracing/tracing_on; tail -n 150 /sys/kernel/tracing/trace");
			}
			TEST_FAIL("vCPU %u: exit reason %u", vcpu->id, run->exit_reason);
		}
		}
	}
	return NULL;
}

static void set_attributes(uint64_t first, uint64_t nr, bool private)
{
	struct kvm_memory_attributes attr = {
		.address = TEST_GPA + first * PAGE_SIZE,
		.size = nr * PAGE_SIZE,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	vm_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attr);
}

static void random_range(unsigned int *seed, uint64_t *first, uint64_t *nr)
{
	*first = rand_r(seed) % TEST_PAGES;
	*nr = 1 + rand_r(seed) % (TEST_PAGES - *first);
}

static void *punch_thread(void *arg)
{
	unsigned int seed = 1;
	uint64_t first, nr;

	while (!stop) {
		random_range(&seed, &first, &nr);
		if (churn_mask & 64) {
			/* Shared-only experiment: punch the shared memory instead. */
			TEST_ASSERT(!madvise((char *)shared_mem + first * PAGE_SIZE,
					     nr * PAGE_SIZE, MADV_REMOVE),
				    "MADV_REMOVE: errno %d", errno);
			nr_punches++;
			usleep(rand_r(&seed) % 2000);
			continue;
		}
		pthread_mutex_lock(&fd_lock);
		TEST_ASSERT(!fallocate(gmem_fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				       first * PAGE_SIZE, nr * PAGE_SIZE),
			    "punch: errno %d", errno);
		if (rand_r(&seed) % 2)
			TEST_ASSERT(!fallocate(gmem_fd, FALLOC_FL_KEEP_SIZE,
					       first * PAGE_SIZE, nr * PAGE_SIZE),
				    "re-allocate: errno %d", errno);
		pthread_mutex_unlock(&fd_lock);
		nr_punches++;
		usleep(rand_r(&seed) % 2000);
	}
	return NULL;
}

static void *attr_thread(void *arg)
{
	unsigned int seed = 2;
	uint64_t first, nr;

	while (!stop) {
		random_range(&seed, &first, &nr);
		set_attributes(first, nr, rand_r(&seed) % 4);	/* mostly private */
		nr_flips++;
		usleep(rand_r(&seed) % 2000);
	}
	return NULL;
}

static int new_guest_memfd(void)
{
	struct kvm_create_guest_memfd args = { .size = TEST_SIZE };
	int fd = __vm_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	TEST_ASSERT(fd >= 0, "KVM_CREATE_GUEST_MEMFD: errno %d", errno);
	return fd;
}

static void bind_memslot(bool bind)
{
	uint32_t flags = churn_mask & 64 ? 0 : KVM_MEM_GUEST_MEMFD;
	int r;

	/* Shared-only experiment: the old ioctl, so that it runs on any kernel. */
	if (churn_mask & 64)
		r = __vm_set_user_memory_region(vm, TEST_SLOT, 0, TEST_GPA,
						bind ? TEST_SIZE : 0, shared_mem);
	else
		r = __vm_set_user_memory_region2(vm, TEST_SLOT, flags,
						 TEST_GPA, bind ? TEST_SIZE : 0,
						 bind ? shared_mem : NULL,
						 bind ? gmem_fd : 0, 0);

	TEST_ASSERT(!r, "%s the memslot (fd %d): errno %d",
		    bind ? "binding" : "deleting", gmem_fd, errno);
}

/* Memslot delete/re-add, and every few rounds a new file. */
static void *memslot_thread(void *arg)
{
	unsigned int seed = 3;
	bool replace;

	while (!stop) {
		usleep(5000 + rand_r(&seed) % 20000);
		pthread_mutex_lock(&fd_lock);
		replace = !(churn_mask & 16) && rand_r(&seed) % 4 == 0;
		if (replace && rand_r(&seed) % 2) {
			/* Closed while bound and maybe in use by a vCPU. */
			close(gmem_fd);
			gmem_fd = -1;
		}
		bind_memslot(false);
		if (replace) {
			if (gmem_fd >= 0)
				close(gmem_fd);
			gmem_fd = new_guest_memfd();
			nr_new_files++;
		}
		bind_memslot(true);
		pthread_mutex_unlock(&fd_lock);
		nr_memslot_cycles++;
	}
	return NULL;
}

static long unevictable_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	TEST_ASSERT(f, "open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Unevictable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char *argv[])
{
	int seconds = argc > 1 ? atoi(argv[1]) : 30;
	int mask = argc > 2 ? atoi(argv[2]) : 7;

	churn_mask = mask;
	pthread_t vcpu_threads[NR_VCPUS], churn[3];
	struct kvm_vcpu *vcpus[NR_VCPUS];
	unsigned long rounds = 0, fault_exits = 0, mmio_exits = 0;
	long unevictable0;
	uint64_t i;

	if (!(mask & 64)) {
		TEST_REQUIRE(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM));
		TEST_REQUIRE(kvm_has_cap(KVM_CAP_GUEST_MEMFD));
	}
	TEST_ASSERT(seconds > 0 && seconds <= 3600, "duration: 1 to 3600 seconds");
	if (mask & 32) {
		/* Experiment: trace KVM until the first unexpected exit. */
		TEST_ASSERT(!system("cd /sys/kernel/tracing && echo 8192 > buffer_size_kb && "
				    "echo 1 > events/kvm/kvm_exit/enable && "
				    "echo 1 > events/kvm/kvm_page_fault/enable && "
				    "echo 1 > events/kvm/kvm_inj_exception/enable && "
				    "echo 1 > events/kvm/kvm_memory_fault/enable 2>/dev/null; "
				    "echo 1 > events/kvmmmu/enable && echo 1 > tracing_on"),
			    "tracing setup");
	}
	if (mask & 8) {
		/* Experiment: no transparent huge pages, no khugepaged. */
		FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "w");

		TEST_ASSERT(f, "open THP enabled");
		fputs("never", f);
		fclose(f);
		pr_info("THP disabled\n");
	}

	unevictable0 = unevictable_kb();

	vm = __vm_create_type(VM_MODE_DEFAULT, mask & 64 ? 0 : KVM_X86_SW_PROTECTED_VM,
			      NR_VCPUS, 0);
	vm_init_descriptor_tables(vm);
	for (i = 0; i < NR_VCPUS; i++) {
		vcpus[i] = vm_vcpu_add(vm, i, guest_code);
		vcpu_init_descriptor_tables(vcpus[i]);
	}
	shared_mem = mmap(NULL, TEST_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(shared_mem != MAP_FAILED, "mmap");
	/* Shared data carries its page's tag too. */
	for (i = 0; i < TEST_PAGES; i++)
		shared_mem[i * PAGE_SIZE / 8] = TAG(i) | 0xffffffff;

	gmem_fd = mask & 64 ? -1 : new_guest_memfd();
	bind_memslot(true);
	/* Experiment (mask bit 6): shared memory only, no guest_memfd. */
	if (!(mask & 64))
		set_attributes(0, TEST_PAGES, true);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);

	for (i = 0; i < NR_VCPUS; i++) {
		vcpu_args_set(vcpus[i], 1, i * PAGES_PER_VCPU);
		pthread_create(&vcpu_threads[i], NULL, vcpu_thread, vcpus[i]);
	}
	if (mask & 1)
		pthread_create(&churn[0], NULL, punch_thread, NULL);
	if (mask & 2)
		pthread_create(&churn[1], NULL, attr_thread, NULL);
	if (mask & 4)
		pthread_create(&churn[2], NULL, memslot_thread, NULL);

	sleep(seconds);
	stop = true;
	for (i = 0; i < ARRAY_SIZE(churn); i++)
		if (mask & (1 << i))
			pthread_join(churn[i], NULL);
	/* Make sure the vCPUs can get out: everything shared and bound. */
	if (!(mask & 64))
		set_attributes(0, TEST_PAGES, false);
	for (i = 0; i < NR_VCPUS; i++) {
		pthread_join(vcpu_threads[i], NULL);
		rounds += nr_guest_rounds[i];
		fault_exits += nr_fault_exits[i];
		mmio_exits += nr_mmio_exits[i];
	}

	pr_info("%d s: %lu guest rounds over %d pages by %d vCPUs, %lu punches, %lu attribute flips,\n",
		seconds, rounds, TEST_PAGES, NR_VCPUS, nr_punches, nr_flips);
	pr_info("  %lu memslot cycles, %lu new files, %lu memory fault exits, %lu MMIO exits\n",
		nr_memslot_cycles, nr_new_files, fault_exits, mmio_exits);
	TEST_ASSERT(rounds,
		    "some thread made no progress");

	close(gmem_fd);
	kvm_vm_free(vm);
	munmap(shared_mem, TEST_SIZE);

	pr_info("Unevictable before %ld kB, after %ld kB\n", unevictable0, unevictable_kb());
	TEST_ASSERT(unevictable_kb() <= unevictable0,
		    "guest_memfd memory left behind: Unevictable %ld kB, was %ld kB",
		    unevictable_kb(), unevictable0);
	return 0;
}
