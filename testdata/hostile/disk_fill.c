// Fills the directory argv[1] with 1 MiB writes (a new file whenever one passes RLIMIT_FSIZE)
// until the disk is full, stopping at 2 GiB whatever happens. Expected: ok, ENOSPC, and no
// more than the tmpfs size written.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	static char buf[1 << 20];
	memset(buf, 'x', sizeof buf);
	signal(SIGXFSZ, SIG_IGN);
	long total = 0;
	int err = 0;
	for (int f = 0; f < 4096 && total < (2L << 30) && !err; f++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/fill%d", argc > 1 ? argv[1] : ".", f);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) { err = errno; break; }
		for (;;) {
			ssize_t n = write(fd, buf, sizeof buf);
			if (n > 0) total += n;
			if (n == (ssize_t)sizeof buf && total < (2L << 30)) continue;
			if (n < 0 && errno != EFBIG) err = errno;
			if (n < 0 || total >= (2L << 30)) break;
		}
		close(fd);
	}
	printf("wrote=%ld err=%s\n", total, err ? strerror(err) : "none");
	return 0;
}
