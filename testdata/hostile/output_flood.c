// Writes to stdout without end. Expected: output_limit, stdout truncated at the limit.
#include <string.h>
#include <unistd.h>
int main(void) {
	static char buf[65536];
	memset(buf, 'y', sizeof buf);
	for (;;) if (write(1, buf, sizeof buf) < 0) return 1;
}
