// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal VMM: creates a VM with one vCPU and 4 KiB of guest memory, runs
 * a few real-mode instructions in it and says in plain words what happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

int main(void)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, run_size, done = 0;
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

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_BASE;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");

	while (!done) {
		if (ioctl(vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			printf("The guest wrote %u to I/O port 0x%x\n",
			       *((uint8_t *)run + run->io.data_offset),
			       run->io.port);
			break;
		case KVM_EXIT_HLT:
			printf("The guest halted: the demo worked\n");
			done = 1;
			break;
		default:
			printf("Unexpected exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
	return 0;
}
