// Run as several cases of one request: each case reports what an earlier case left in /work,
// /tmp and /dev/shm, then leaves a file in each. Expected: every case finds none of them, and
// finds the compile's output (its own binary) in /work.
#include <stdio.h>
#include <unistd.h>
static const char *paths[] = {"/work/planted", "/tmp/planted", "/dev/shm/planted"};
int main(void) {
	char buf[64] = "";
	if (!fgets(buf, sizeof buf, stdin)) buf[0] = 0;
	printf("case=%.*s", (int)sizeof buf, buf[0] ? buf : "?\n");
	printf("binary=%s\n", access("/work/main", X_OK) == 0 ? "present" : "absent");
	for (int i = 0; i < 3; i++) {
		printf("%s=%s\n", paths[i], access(paths[i], F_OK) == 0 ? "present" : "absent");
		FILE *f = fopen(paths[i], "w");
		if (f) { fputs(buf, f); fclose(f); }
	}
	return 0;
}
