// Tries to read each file named in argv and prints what it got (up to 256 bytes, escaped).
// Used for host secrets: expected, every read fails and no secret appears in the output.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
		char buf[256];
		ssize_t n = read(fd, buf, sizeof buf);
		close(fd);
		if (n < 0) { printf("%s: read: %s\n", argv[i], strerror(errno)); continue; }
		printf("%s: read %zd bytes: ", argv[i], n);
		for (ssize_t j = 0; j < n; j++) putchar(buf[j] >= 32 && buf[j] < 127 ? buf[j] : '.');
		putchar('\n');
	}
	return 0;
}
