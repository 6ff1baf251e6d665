// "plant": leaves a setuid file in /work, /tmp and /dev/shm. "check": reports which exist.
// Expected: a later run finds none of them.
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static const char *paths[] = {"/work/planted", "/tmp/planted", "/dev/shm/planted"};
int main(int argc, char **argv) {
	for (int i = 0; i < 3; i++) {
		if (argc > 1 && !strcmp(argv[1], "plant")) {
			FILE *f = fopen(paths[i], "w");
			if (f) { fputs("x", f); fclose(f); chmod(paths[i], 04755); }
		}
		printf("%s=%s\n", paths[i], access(paths[i], F_OK) == 0 ? "present" : "absent");
	}
	return 0;
}
