// Reads all of stdin and prints its length and a checksum. Expected: ok, the exact numbers.
#include <stdio.h>
#include <unistd.h>
int main(void) {
	static unsigned char buf[1 << 16];
	unsigned long total = 0, sum = 0;
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) > 0) {
		total += n;
		for (ssize_t i = 0; i < n; i++) sum = (sum * 31 + buf[i]) & 0xffffffff;
	}
	printf("bytes=%lu sum=%lu\n", total, sum);
	return 0;
}
