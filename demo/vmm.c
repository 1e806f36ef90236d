// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal VMM: creates a VM with one vCPU and 4 KiB of guest memory, runs
 * a few real-mode instructions in it and says in plain words what happened.
 * Then, if the kernel has guest_memfd, it does the same with a page of
 * private memory that the host cannot see, runs an ordinary VM whose RAM
 * is a guest_memfd that the VMM maps with mmap(), and moves a guest's
 * private memory into a new VM without copying it (KVM_LINK_GUEST_MEMFD).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_BASE 0x1000

static void die(const char *what)
{
	fprintf(stderr, "demo: %s failed: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * Guest code, 16-bit real mode:
 *	mov  $0x2a, %al
 *	out  %al, $0x10		; tell the host 42
 *	add  $0x0d, %al
 *	out  %al, $0x10		; tell the host 55
 *	hlt
 */
static const uint8_t guest_code[] = {
	0xb0, 0x2a, 0xe6, 0x10, 0x04, 0x0d, 0xe6, 0x10, 0xf4,
};

/*
 * Private-memory guest, 16-bit real mode:
 *	mov  $0x2a, %al
 *	mov  %al, 0x2000	; write 42 to the private page
 *	mov  0x2000, %al	; read it back
 *	out  %al, $0x10		; tell the host what it read
 *	hlt
 */
static const uint8_t private_code[] = {
	0xb0, 0x2a, 0xa2, 0x00, 0x20, 0xa0, 0x00, 0x20, 0xe6, 0x10, 0xf4,
};

#define PRIVATE_GPA 0x2000

/*
 * Guest of the VM whose RAM is guest_memfd, 16-bit real mode:
 *	mov  0x2000, %al	; read what the host put there
 *	add  $0x16, %al		; add 22
 *	mov  %al, 0x2000	; write the sum back
 *	out  %al, $0x10		; and tell the host
 *	hlt
 */
static const uint8_t gmem_ram_code[] = {
	0xa0, 0x00, 0x20, 0x04, 0x16, 0xa2, 0x00, 0x20, 0xe6, 0x10, 0xf4,
};

/*
 * Guests of the move to a new VM, 16-bit real mode.  The first:
 *	mov  $0x4d, %al
 *	mov  %al, 0x2000	; write 77 to its private page
 *	out  %al, $0x10		; and tell the host
 *	hlt
 * The second, in the new VM:
 *	mov  0x2000, %al	; read the private page
 *	out  %al, $0x10		; tell the host what it holds
 *	hlt
 */
static const uint8_t move_first_code[] = {
	0xb0, 0x4d, 0xa2, 0x00, 0x20, 0xe6, 0x10, 0xf4,
};
static const uint8_t move_second_code[] = {
	0xa0, 0x00, 0x20, 0xe6, 0x10, 0xf4,
};

#define GUEST_MEMFD_RAM_FLAGS (GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED)

/* What the guest last wrote to an I/O port. */
static unsigned int last_out;

static void run_until_halt(int vcpu, struct kvm_run *run)
{
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0)) {
			if (errno == EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
				printf("KVM_RUN: memory fault at 0x%llx (%s)\n",
				       run->memory_fault.gpa,
				       run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE ?
				       "private" : "shared");
				exit(1);
			}
			die("KVM_RUN");
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			last_out = *((uint8_t *)run + run->io.data_offset);
			printf("The guest wrote %u to I/O port 0x%x\n",
			       *((uint8_t *)run + run->io.data_offset), run->io.port);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			return;
		printf("Unexpected exit reason %u\n", run->exit_reason);
		exit(1);
	}
}

/* Size of the kvm_run mapping: unmap it, or the vCPU keeps its VM alive. */
static int run_size;

static int setup_vcpu(int kvm, int vm, struct kvm_run **run)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int vcpu;

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	*run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (*run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_BASE;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	return vcpu;
}

/* Bind [0, @size) of guest_memfd @fd as memslot @slot at @gpa. */
static void bind_guest_memfd(int vm, int slot, uint64_t gpa, uint64_t size,
			     void *hva, int fd, const char *what)
{
	struct kvm_userspace_memory_region2 region = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
		.guest_memfd = fd, .guest_memfd_offset = 0,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region))
		die(what);
}

/*
 * A software-protected VM with @code at GUEST_BASE (ordinary memory) and a
 * private page at PRIVATE_GPA from its guest_memfd *@fd: a new one if
 * @src_fd is -1, else its own file on @src_fd's memory.  *@shared is the
 * memory the host has at that address (the memslot's userspace_addr).
 * Returns the VM, *@vcpu its vCPU.
 */
static int private_vm(int kvm, const uint8_t *code, size_t len, int *fd,
		      int src_fd, uint8_t **shared, int *vcpu, struct kvm_run **run)
{
	struct kvm_create_guest_memfd gmem = { .size = 0x1000 };
	struct kvm_link_guest_memfd link = { .fd = src_fd };
	struct kvm_memory_attributes attr = {
		.address = PRIVATE_GPA,
		.size = 0x1000,
		.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE,
	};
	struct kvm_userspace_memory_region2 region;
	uint8_t *mem;
	int vm;

	vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm < 0)
		die("KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM)");
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shared = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || *shared == MAP_FAILED)
		die("mmap");
	memcpy(mem, code, len);
	region = (struct kvm_userspace_memory_region2) {
		.slot = 0, .guest_phys_addr = GUEST_BASE, .memory_size = 0x1000,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region))
		die("KVM_SET_USER_MEMORY_REGION2 (code)");

	*fd = src_fd < 0 ? ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem) :
			   ioctl(vm, KVM_LINK_GUEST_MEMFD, &link);
	if (*fd < 0)
		die(src_fd < 0 ? "KVM_CREATE_GUEST_MEMFD" : "KVM_LINK_GUEST_MEMFD");
	bind_guest_memfd(vm, 1, PRIVATE_GPA, 0x1000, *shared, *fd,
			 "KVM_SET_USER_MEMORY_REGION2 (guest_memfd)");
	if (ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attr))
		die("KVM_SET_MEMORY_ATTRIBUTES");
	*vcpu = setup_vcpu(kvm, vm, run);
	return vm;
}

/* A software-protected VM whose page at PRIVATE_GPA is private memory. */
static void private_memory_demo(int kvm)
{
	struct kvm_run *run;
	int vm, vcpu, fd;
	uint8_t *shared;

	if (!(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES) & (1 << KVM_X86_SW_PROTECTED_VM)) ||
	    ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0) {
		printf("This kernel has no guest_memfd for software-protected VMs.\n");
		return;
	}
	printf("\nNow a software-protected VM with private memory (guest_memfd):\n");
	vm = private_vm(kvm, private_code, sizeof(private_code), &fd, -1, &shared,
			&vcpu, &run);
	printf("Created a 4 KiB guest_memfd (fd %d): the host cannot read, write or mmap it\n", fd);
	printf("Bound it at guest address 0x%x and marked that page private\n", PRIVATE_GPA);

	run_until_halt(vcpu, run);
	printf("The guest wrote 42 to its private page and read it back; the host's\n"
	       "shared mapping of that address still reads %u\n", shared[0]);

	if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, 0x1000))
		die("fallocate(PUNCH_HOLE)");
	printf("Punched the page out of the guest_memfd: its memory went back to the host\n");
	close(fd);
	munmap(run, run_size);
	close(vcpu);
	close(vm);
}

/*
 * An ordinary (default) VM whose RAM is one guest_memfd, created with
 * GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED and mapped into the
 * VMM: the VMM loads code and data through the mapping, the guest's memory
 * comes from the guest_memfd, and the VMM sees what the guest wrote.
 */
static void guest_memfd_ram_demo(int kvm)
{
	struct kvm_create_guest_memfd gmem = {
		.size = 0x2000, .flags = GUEST_MEMFD_RAM_FLAGS,
	};
	struct kvm_run *run;
	int vm, vcpu, fd;
	uint8_t *ram;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	if ((ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS) & GUEST_MEMFD_RAM_FLAGS) !=
	    GUEST_MEMFD_RAM_FLAGS || ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0) {
		printf("This kernel cannot back an ordinary VM's RAM with guest_memfd.\n");
		close(vm);
		return;
	}
	printf("\nNow an ordinary VM whose RAM is a guest_memfd that this VMM maps:\n");
	fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem);
	if (fd < 0)
		die("KVM_CREATE_GUEST_MEMFD(MMAP | INIT_SHARED)");
	ram = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED)
		die("mmap(guest_memfd)");
	printf("Created an 8 KiB guest_memfd (fd %d) with its memory shared, and mapped it\n", fd);

	memcpy(ram, gmem_ram_code, sizeof(gmem_ram_code));
	ram[0x1000] = 20;
	printf("Wrote the guest's code and the number 20 into it through the mapping\n");

	bind_guest_memfd(vm, 0, GUEST_BASE, 0x2000, ram, fd,
			 "KVM_SET_USER_MEMORY_REGION2 (guest_memfd RAM)");
	printf("Made it the guest's RAM at 0x%x: every guest access is served from the guest_memfd\n",
	       GUEST_BASE);

	vcpu = setup_vcpu(kvm, vm, &run);
	run_until_halt(vcpu, run);
	printf("The guest read 20, added 22 and stored the sum; through its mapping the\n"
	       "VMM now reads %u from the same memory\n", ram[0x1000]);
	if (ram[0x1000] != 42) {
		printf("That is not 42: the guest and the VMM did not share the memory\n");
		exit(1);
	}

	munmap(run, run_size);
	close(vcpu);
	close(vm);
	munmap(ram, 0x2000);
	close(fd);
	printf("Closed the VM and the guest_memfd: the memory is freed\n");
}

/*
 * Move a guest's private memory to a new VM, as a VMM upgrade or a fresh
 * struct kvm would: the new VM gets its own file on the same memory
 * (KVM_LINK_GUEST_MEMFD), the old VM goes, and the new guest finds the
 * data where the old one left it.  The VMM could not have copied it: a
 * guest_memfd cannot be read.
 */
static void move_guest_demo(int kvm)
{
	int vm_a, vm_b, vcpu_a, vcpu_b, fd_a, fd_b, probe;
	struct kvm_run *run_a, *run_b;
	uint8_t byte, *shared;

	probe = ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (probe < 0 || ioctl(probe, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_LINK) <= 0) {
		printf("This kernel cannot move guest_memfd memory between VMs.\n");
		if (probe >= 0)
			close(probe);
		return;
	}
	close(probe);

	printf("\nNow a guest's private memory moves to a new VM:\n");
	vm_a = private_vm(kvm, move_first_code, sizeof(move_first_code), &fd_a, -1,
			  &shared, &vcpu_a, &run_a);
	printf("First VM: its page at 0x%x is private memory of guest_memfd fd %d\n",
	       PRIVATE_GPA, fd_a);
	run_until_halt(vcpu_a, run_a);
	printf("Its guest stored that number in its private page\n");
	if (read(fd_a, &byte, 1) >= 0) {
		printf("The VMM could read the guest_memfd: it is not private\n");
		exit(1);
	}
	printf("The VMM cannot read that page to copy it: read() fails (%s)\n",
	       strerror(errno));

	vm_b = private_vm(kvm, move_second_code, sizeof(move_second_code), &fd_b, fd_a,
			  &shared, &vcpu_b, &run_b);
	printf("New VM: KVM_LINK_GUEST_MEMFD gave it fd %d on the same memory; bound at 0x%x, private\n",
	       fd_b, PRIVATE_GPA);

	munmap(run_a, run_size);
	close(vcpu_a);
	close(vm_a);
	close(fd_a);
	printf("Destroyed the first VM and closed its guest_memfd: the memory stays, the\n"
	       "new VM's file holds it\n");

	run_until_halt(vcpu_b, run_b);
	if (last_out != 77) {
		printf("The new guest did not find 77 in its private page\n");
		exit(1);
	}
	printf("The new VM's guest read 77 from its private page: the data arrived with\n"
	       "the memory, nothing was copied\n");

	munmap(run_b, run_size);
	close(vcpu_b);
	close(vm_b);
	close(fd_b);
	printf("Closed the new VM and its guest_memfd, the last file: only now is the memory freed\n");
}

int main(void)
{
	struct kvm_userspace_memory_region region;
	struct kvm_run *run;
	int kvm, vm, vcpu;
	void *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	printf("KVM API version %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memcpy(mem, guest_code, sizeof(guest_code));
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = GUEST_BASE,
		.memory_size = 0x1000,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
	printf("Gave the guest 4 KiB of ordinary (shared) memory at 0x%x\n",
	       GUEST_BASE);

	vcpu = setup_vcpu(kvm, vm, &run);
	run_until_halt(vcpu, run);
	printf("The guest halted: the demo worked\n");
	/* The whole VM goes away before the next one is created. */
	munmap(run, run_size);
	close(vcpu);
	close(vm);

	private_memory_demo(kvm);
	guest_memfd_ram_demo(kvm);
	move_guest_demo(kvm);
	return 0;
}
