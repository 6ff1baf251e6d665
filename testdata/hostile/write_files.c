// Tries to create each file named in argv. Expected: /usr and /etc refused; a /tmp path is
// created inside the sandbox only, never on the host.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
		write(fd, "pwned\n", 6);
		close(fd);
		printf("%s: written\n", argv[i]);
	}
	return 0;
}
