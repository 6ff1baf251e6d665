// Tries to attach to its parent and to pid 1. Expected: both refused with EPERM (seccomp).
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>
static const char *try(pid_t p) { return ptrace(PTRACE_ATTACH, p, 0, 0) ? strerror(errno) : "attached"; }
int main(void) {
	printf("parent=%s\n", try(getppid()));
	printf("init=%s\n", try(1));
	return 0;
}
