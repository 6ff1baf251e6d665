// Two runs at once. "hide TOKEN": writes TOKEN into /work, /tmp and /dev/shm files, says
// "ready", then sleeps. "seek TOKEN": looks for those files, for any process whose command line
// holds "hide TOKEN", and through /proc/N/root. Expected: the seeker finds nothing.
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static const char *dirs[] = {"/work", "/tmp", "/dev/shm"};
static int has(const char *path, const char *tok) {
	char buf[256] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0) return 0;
	read(fd, buf, sizeof buf - 1);
	close(fd);
	return strstr(buf, tok) != 0;
}
int main(int argc, char **argv) {
	if (argc < 3) return 2;
	const char *tok = argv[2];
	char path[512];
	if (!strcmp(argv[1], "hide")) {
		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof path, "%s/peer-%s", dirs[i], tok);
			FILE *f = fopen(path, "w");
			if (f) { fputs(tok, f); fclose(f); }
		}
		puts("ready");
		fflush(stdout);
		sleep(4);
		return 0;
	}
	char hider[300];
	snprintf(hider, sizeof hider, "hide %s", tok);
	int found = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/peer-%s", dirs[i], tok);
		if (has(path, tok)) { printf("found %s\n", path); found++; }
	}
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0])) continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		int fd = open(path, O_RDONLY);
		char buf[512] = {0};
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;
		if (fd >= 0) close(fd);
		for (ssize_t j = 0; j < n; j++) if (!buf[j]) buf[j] = ' ';
		if (strstr(buf, hider)) { printf("found process %s: %s\n", e->d_name, buf); found++; }
		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof path, "/proc/%s/root%s/peer-%s", e->d_name, dirs[i], tok);
			if (has(path, tok)) { printf("found %s\n", path); found++; }
		}
	}
	printf("found=%d\n", found);
	return 0;
}
