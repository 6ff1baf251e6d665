//go:build linux && (amd64 || arm64)

package seccomp

import "golang.org/x/sys/unix"

// nsFlags are the clone flags that create a namespace. CLONE_NEWTIME (0x80) is left out: in
// clone's flags that bit is part of the exit signal, and clone3 (where it is valid) is refused.
const nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// socketFamilies are the only socket families a program may create. The network namespace has
// no interface but lo, so AF_INET/AF_INET6 reach nothing outside.
var socketFamilies = []uint32{unix.AF_UNIX, unix.AF_INET, unix.AF_INET6}

func deny(name string, nr int) Rule { return Rule{Syscall: name, Nr: nr, Action: Deny} }

// commonRules holds the calls denied on every architecture, grouped by why.
var commonRules = []Rule{
	// Debugging and reading other processes.
	deny("ptrace", unix.SYS_PTRACE),
	deny("process_vm_readv", unix.SYS_PROCESS_VM_READV),
	deny("process_vm_writev", unix.SYS_PROCESS_VM_WRITEV),
	// Namespaces and mounts: the sandbox's own walls.
	deny("unshare", unix.SYS_UNSHARE),
	deny("setns", unix.SYS_SETNS),
	{Syscall: "clone", Nr: unix.SYS_CLONE, Action: Deny, When: "its flags create a namespace",
		cond: &cond{Arg: 0, Mask: nsFlags}},
	{Syscall: "clone3", Nr: unix.SYS_CLONE3, Action: NoSys}, // libc falls back to clone
	deny("mount", unix.SYS_MOUNT),
	deny("umount2", unix.SYS_UMOUNT2),
	deny("pivot_root", unix.SYS_PIVOT_ROOT),
	deny("chroot", unix.SYS_CHROOT),
	deny("mount_setattr", unix.SYS_MOUNT_SETATTR),
	deny("open_tree", unix.SYS_OPEN_TREE),
	deny("open_tree_attr", unix.SYS_OPEN_TREE_ATTR),
	deny("move_mount", unix.SYS_MOVE_MOUNT),
	deny("fsopen", unix.SYS_FSOPEN),
	deny("fsconfig", unix.SYS_FSCONFIG),
	deny("fsmount", unix.SYS_FSMOUNT),
	deny("fspick", unix.SYS_FSPICK),
	deny("listns", unix.SYS_LISTNS),
	deny("open_by_handle_at", unix.SYS_OPEN_BY_HANDLE_AT),
	deny("name_to_handle_at", unix.SYS_NAME_TO_HANDLE_AT),
	// Kernel attack surface that ordinary programs do not need.
	deny("bpf", unix.SYS_BPF),
	deny("perf_event_open", unix.SYS_PERF_EVENT_OPEN),
	deny("userfaultfd", unix.SYS_USERFAULTFD),
	deny("io_uring_setup", unix.SYS_IO_URING_SETUP),
	deny("io_uring_enter", unix.SYS_IO_URING_ENTER),
	deny("io_uring_register", unix.SYS_IO_URING_REGISTER),
	deny("keyctl", unix.SYS_KEYCTL),
	deny("add_key", unix.SYS_ADD_KEY),
	deny("request_key", unix.SYS_REQUEST_KEY),
	deny("fanotify_init", unix.SYS_FANOTIFY_INIT),
	deny("lookup_dcookie", unix.SYS_LOOKUP_DCOOKIE),
	deny("syslog", unix.SYS_SYSLOG),
	// The machine itself: modules, kexec, power, swap, clocks, accounting, quotas, names.
	deny("init_module", unix.SYS_INIT_MODULE),
	deny("finit_module", unix.SYS_FINIT_MODULE),
	deny("delete_module", unix.SYS_DELETE_MODULE),
	deny("kexec_load", unix.SYS_KEXEC_LOAD),
	deny("kexec_file_load", unix.SYS_KEXEC_FILE_LOAD),
	deny("reboot", unix.SYS_REBOOT),
	deny("swapon", unix.SYS_SWAPON),
	deny("swapoff", unix.SYS_SWAPOFF),
	deny("clock_settime", unix.SYS_CLOCK_SETTIME),
	deny("clock_adjtime", unix.SYS_CLOCK_ADJTIME),
	deny("settimeofday", unix.SYS_SETTIMEOFDAY),
	deny("adjtimex", unix.SYS_ADJTIMEX),
	deny("acct", unix.SYS_ACCT),
	deny("quotactl", unix.SYS_QUOTACTL),
	deny("quotactl_fd", unix.SYS_QUOTACTL_FD),
	deny("sethostname", unix.SYS_SETHOSTNAME),
	deny("setdomainname", unix.SYS_SETDOMAINNAME),
	deny("vhangup", unix.SYS_VHANGUP),
	// Sockets outside the allowed families (netlink, vsock, packet, bluetooth, alg, …).
	{Syscall: "socket", Nr: unix.SYS_SOCKET, Action: Deny, When: "its family is not AF_UNIX, AF_INET or AF_INET6",
		cond: &cond{Arg: 0, NotIn: socketFamilies}},
	{Syscall: "socketpair", Nr: unix.SYS_SOCKETPAIR, Action: Deny, When: "its family is not AF_UNIX, AF_INET or AF_INET6",
		cond: &cond{Arg: 0, NotIn: socketFamilies}},
	// Terminal input injection (only matters if a terminal ever reaches the program).
	{Syscall: "ioctl", Nr: unix.SYS_IOCTL, Action: Deny, When: "its request is TIOCSTI or TIOCLINUX",
		cond: &cond{Arg: 1, In: []uint32{unix.TIOCSTI, unix.TIOCLINUX}}},
}
