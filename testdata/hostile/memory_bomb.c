// Allocates and touches memory 1 MiB at a time, up to 4 GiB. Expected: memory_limit.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
	for (int mib = 1; mib <= 4096; mib++) {
		char *p = malloc(1 << 20);
		if (!p) { printf("malloc failed: mib=%d\n", mib - 1); return 3; }
		memset(p, mib, 1 << 20);
	}
	puts("allocated 4 GiB");
	return 0;
}
