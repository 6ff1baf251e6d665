// Calls system calls outside the seccomp allow-list, each with harmless arguments. Expected:
// ok; every call fails with "Operation not permitted" (or "Function not implemented") from the
// filter, and personality() can still query and set the default persona.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>
static void report(const char *name, long r) { printf("%s=%s\n", name, r < 0 ? strerror(errno) : "ok"); }
int main(void) {
	report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
	report("add_key", syscall(SYS_add_key, "user", "sandrun", "x", 1, -3));
	report("request_key", syscall(SYS_request_key, "user", "sandrun", 0, 0));
	report("bpf", syscall(SYS_bpf, 0, 0, 0));
	report("userfaultfd", syscall(SYS_userfaultfd, 0));
	report("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
	report("mount", mount("none", "/tmp", "tmpfs", 0, 0));
	report("io_uring_setup", syscall(SYS_io_uring_setup, 1, 0));
	report("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
	report("setns", syscall(SYS_setns, 0, 0));
	report("move_pages", syscall(SYS_move_pages, 0, 0, 0, 0, 0, 0));
	report("kcmp", syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0));
	report("personality_read_implies_exec", personality(PER_LINUX | READ_IMPLIES_EXEC));
	report("personality_addr_no_randomize", personality(PER_LINUX | ADDR_NO_RANDOMIZE));
	report("personality_query", personality(0xffffffff));
	report("personality_default", personality(PER_LINUX));
	return 0;
}
