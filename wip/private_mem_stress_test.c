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
 * Usage: private_mem_stress_test [seconds]  (default 30)
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
		default:
			TEST_FAIL("vCPU %u: exit reason %u", vcpu->id, run->exit_reason);
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
	int r = __vm_set_user_memory_region2(vm, TEST_SLOT, KVM_MEM_GUEST_MEMFD,
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
		replace = rand_r(&seed) % 4 == 0;
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
	pthread_t vcpu_threads[NR_VCPUS], churn[3];
	struct kvm_vcpu *vcpus[NR_VCPUS];
	unsigned long rounds = 0, fault_exits = 0, mmio_exits = 0;
	long unevictable0;
	uint64_t i;

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_VM_TYPES) & BIT(KVM_X86_SW_PROTECTED_VM));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_GUEST_MEMFD));
	TEST_ASSERT(seconds > 0 && seconds <= 3600, "duration: 1 to 3600 seconds");

	unevictable0 = unevictable_kb();

	vm = __vm_create_type(VM_MODE_DEFAULT, KVM_X86_SW_PROTECTED_VM, NR_VCPUS, 0);
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

	gmem_fd = new_guest_memfd();
	bind_memslot(true);
	set_attributes(0, TEST_PAGES, true);
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);

	for (i = 0; i < NR_VCPUS; i++) {
		vcpu_args_set(vcpus[i], 1, i * PAGES_PER_VCPU);
		pthread_create(&vcpu_threads[i], NULL, vcpu_thread, vcpus[i]);
	}
	pthread_create(&churn[0], NULL, punch_thread, NULL);
	pthread_create(&churn[1], NULL, attr_thread, NULL);
	pthread_create(&churn[2], NULL, memslot_thread, NULL);

	sleep(seconds);
	stop = true;
	for (i = 0; i < ARRAY_SIZE(churn); i++)
		pthread_join(churn[i], NULL);
	/* Make sure the vCPUs can get out: everything shared and bound. */
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
	TEST_ASSERT(rounds && nr_punches && nr_flips && nr_memslot_cycles,
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
