// Sends pid 1 (the sandbox's init) and every thread of it each signal there is, with kill,
// tgkill and a forged rt_sigqueueinfo/rt_tgsigqueueinfo/pidfd_send_signal (si_code SI_QUEUE:
// to a Go runtime a SIGSEGV that does not say it came from kill looks like a real fault).
// Expected: ok; the init lives on (the next run in the same sandbox works) and the forged
// faults fail with EPERM (from the seccomp filter, or, as root, because the command's uid
// differs from the init's): forged_ok=0.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGUSR1,
	SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS, 34, 40, 64, SIGSTOP, SIGKILL};
static const int nsigs = sizeof sigs / sizeof sigs[0];
// The signals a Go runtime takes for a fault of its own unless they say they came from kill.
static int faults[] = {SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSTKFLT, SIGSYS};
static int is_fault(int s) {
	for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++) if (faults[i] == s) return 1;
	return 0;
}
int main(void) {
	int tids[256], ntids = 0;
	DIR *d = opendir("/proc/1/task");
	struct dirent *e;
	while (d && (e = readdir(d)) && ntids < 256)
		if (e->d_name[0] != '.') tids[ntids++] = atoi(e->d_name);
	if (d) closedir(d);
	if (ntids == 0) tids[ntids++] = 1;
	int sent = 0, forged_ok = 0;
	const char *forged_err = "none";
	for (int i = 0; i < nsigs; i++) {
		int s = sigs[i];
		sent += kill(1, s) == 0;
		for (int t = 0; t < ntids; t++) sent += syscall(SYS_tgkill, 1, tids[t], s) == 0;
		if (s == SIGKILL || s == SIGSTOP) continue;
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = s;
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		long r = syscall(SYS_rt_sigqueueinfo, 1, s, &si);
		if (r == 0) forged_ok += is_fault(s); else if (is_fault(s)) forged_err = strerror(errno);
		for (int t = 0; t < ntids; t++) {
			r = syscall(SYS_rt_tgsigqueueinfo, 1, tids[t], s, &si);
			if (r == 0) forged_ok += is_fault(s); else if (is_fault(s)) forged_err = strerror(errno);
		}
#ifdef SYS_pidfd_open
		int fd = syscall(SYS_pidfd_open, 1, 0);
		if (fd >= 0) {
			r = syscall(SYS_pidfd_send_signal, fd, s, &si, 0);
			if (r == 0) forged_ok += is_fault(s); else if (is_fault(s)) forged_err = strerror(errno);
			close(fd);
		}
#endif
	}
	usleep(200000);
	printf("threads=%d sent=%d forged_ok=%d forged=%s\n", ntids, sent, forged_ok, forged_err);
	return 0;
}
