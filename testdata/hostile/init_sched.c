// Tries to change what the sandbox's init (pid 1) hands down to the next command it starts,
// the next run of a pooled sandbox included: its threads' nice value, scheduling policy, CPU
// affinity and I/O priority, its resource limits (prlimit), its OOM score. A process of the
// same uid may do all of that to another (rootless, commands share the init's uid).
//
//	init_sched attack   tries each and prints name=ok or name=<error>
//	init_sched probe    prints what this process inherited, one name=value a line
//
// Expected: whatever attack says, a probe in the next run of the same sandbox prints what a
// probe in a fresh sandbox prints.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	int res;
	const char *name;
} limits[] = {
	{RLIMIT_AS, "as"}, {RLIMIT_CORE, "core"}, {RLIMIT_CPU, "cpu"}, {RLIMIT_DATA, "data"},
	{RLIMIT_FSIZE, "fsize"}, {RLIMIT_LOCKS, "locks"}, {RLIMIT_MEMLOCK, "memlock"},
	{RLIMIT_MSGQUEUE, "msgqueue"}, {RLIMIT_NICE, "nice"}, {RLIMIT_NOFILE, "nofile"},
	{RLIMIT_NPROC, "nproc"}, {RLIMIT_RSS, "rss"}, {RLIMIT_RTPRIO, "rtprio"},
	{RLIMIT_RTTIME, "rttime"}, {RLIMIT_SIGPENDING, "sigpending"}, {RLIMIT_STACK, "stack"},
};
static const int nlimits = sizeof limits / sizeof limits[0];

static const char *res(long r) { return r < 0 ? strerror(errno) : "ok"; }

// worst reports the first success, else the last error, of one attack over all threads.
static void worst(const char *name, int ok, const char *err) { printf("%s=%s\n", name, ok ? "ok" : err); }

static int probe(void) {
	printf("nice=%d\n", getpriority(PRIO_PROCESS, 0));
	printf("policy=%d\n", sched_getscheduler(0));
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0) printf("cpus=%d\n", CPU_COUNT(&set));
	printf("ioprio=%ld\n", syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));
	char buf[32] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		close(fd);
	}
	printf("oom_score_adj=%s\n", buf);
	for (int i = 0; i < nlimits; i++) {
		struct rlimit rl;
		if (getrlimit(limits[i].res, &rl) == 0)
			printf("rlimit_%s=%llu/%llu\n", limits[i].name, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	}
	return 0;
}

static int attack(void) {
	int tids[256], ntids = 0;
	DIR *d = opendir("/proc/1/task");
	struct dirent *e;
	while (d && (e = readdir(d)) && ntids < 256)
		if (e->d_name[0] != '.') tids[ntids++] = atoi(e->d_name);
	if (d) closedir(d);
	if (ntids == 0) tids[ntids++] = 1;
	printf("threads=%d\n", ntids);

	int nice_ok = 0, sched_ok = 0, aff_ok = 0, io_ok = 0;
	const char *nice_err = "none", *sched_err = "none", *aff_err = "none", *io_err = "none";
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	struct sched_param sp = {0};
	for (int t = 0; t < ntids; t++) {
		if (setpriority(PRIO_PROCESS, tids[t], 19) == 0) nice_ok = 1; else nice_err = strerror(errno);
		if (sched_setscheduler(tids[t], SCHED_BATCH, &sp) == 0) sched_ok = 1; else sched_err = strerror(errno);
		if (sched_setaffinity(tids[t], sizeof one, &one) == 0) aff_ok = 1; else aff_err = strerror(errno);
		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, tids[t], 3 << 13 /* IOPRIO_CLASS_IDLE */) == 0) io_ok = 1;
		else io_err = strerror(errno);
	}
	worst("setpriority", nice_ok, nice_err);
	worst("sched_setscheduler", sched_ok, sched_err);
	worst("sched_setaffinity", aff_ok, aff_err);
	worst("ioprio_set", io_ok, io_err);
	printf("setpriority_user=%s\n", res(setpriority(PRIO_USER, getuid(), 19)));
	// Limits the next command's stage-2 does not set itself, lowered, hard limit included.
	static const int lower[] = {RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_RTTIME};
	int prl_ok = 0;
	const char *prl_err = "none";
	for (unsigned i = 0; i < sizeof lower / sizeof lower[0]; i++) {
		struct rlimit rl = {1, 1};
		if (prlimit(1, lower[i], &rl, NULL) == 0) prl_ok = 1; else prl_err = strerror(errno);
	}
	worst("prlimit", prl_ok, prl_err);
	int fd = open("/proc/1/oom_score_adj", O_WRONLY);
	printf("oom_score_adj=%s\n", fd < 0 ? strerror(errno) : res(write(fd, "1000", 4)));
	if (fd >= 0) close(fd);
	return 0;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "attack") == 0) return attack();
	return probe();
}
