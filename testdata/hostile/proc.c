// Lists every process it can see in /proc with its command line. Expected: only its own.
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
	DIR *d = opendir("/proc");
	if (!d) { perror("/proc"); return 1; }
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0])) continue;
		char path[300], buf[512];
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		int fd = open(path, O_RDONLY);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;
		if (fd >= 0) close(fd);
		for (ssize_t i = 0; i < len; i++) if (!buf[i]) buf[i] = ' ';
		buf[len > 0 ? len : 0] = 0;
		printf("pid %s: %s\n", e->d_name, buf);
		n++;
	}
	printf("processes=%d\n", n);
	return 0;
}
