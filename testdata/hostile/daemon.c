// Detaches a grandchild (fork, setsid, fork) that keeps trying, for 10 seconds, to create the
// marker file argv[1] after the run has ended. Expected: ok, and the grandchild dies with the
// run: the marker never appears on the host.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	if (argc < 2) return 2;
	if (fork() == 0) {
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (fork() == 0) {
			close(0); close(1); close(2);
			for (int i = 0; i < 100; i++) {
				usleep(100000);
				int fd = open(argv[1], O_WRONLY | O_CREAT, 0644);
				if (fd >= 0) { write(fd, "escaped\n", 8); close(fd); }
			}
			_exit(0);
		}
		_exit(0);
	}
	puts("detached");
	return 0;
}
